/// One download as aria2's `tellStatus` / `tellActive` / `tellWaiting` / `tellStopped` report it.
/// aria2 encodes every number as a string; the accessors convert.
public struct Aria2Status: Sendable, Equatable, Decodable {
    /// aria2's six statuses; anything else (a future aria2) is `.unknown` and changes nothing.
    public enum State: String, Sendable, Equatable, Decodable {
        case active, waiting, paused, error, complete, removed, unknown

        public init(from decoder: any Decoder) throws {
            self = State(rawValue: try decoder.singleValueContainer().decode(String.self)) ?? .unknown
        }

        /// In aria2's stopped list: it will never change again.
        public var isStopped: Bool { self == .complete || self == .error || self == .removed }
        /// Still in aria2's queue (active or waiting, paused or not).
        public var isQueued: Bool { self == .active || self == .waiting || self == .paused }
    }

    public var gid: String
    public var status: State
    public var totalLength: String?
    public var completedLength: String?
    public var downloadSpeed: String?
    public var uploadSpeed: String?
    public var uploadLength: String?
    public var connections: String?
    public var numSeeders: String?
    public var seeder: String?
    public var errorCode: String?
    public var errorMessage: String?
    public var followedBy: [String]?
    public var following: String?
    public var infoHash: String?
    public var dir: String?
    public var files: [File]?
    public var bittorrent: BitTorrent?

    public struct File: Sendable, Equatable, Decodable {
        public var index: String?
        public var path: String
        public var length: String?
        public var completedLength: String?
        public var selected: String?
    }

    public struct BitTorrent: Sendable, Equatable, Decodable {
        public struct Info: Sendable, Equatable, Decodable { public var name: String? }
        public var info: Info?
    }

    /// The keys Torrus asks for, so aria2 never sends peer lists or bitfields.
    public static let keys: [String] = [
        "gid", "status", "totalLength", "completedLength", "downloadSpeed", "uploadSpeed", "uploadLength", "connections",
        "numSeeders", "seeder", "errorCode", "errorMessage", "followedBy", "following", "infoHash", "dir", "files", "bittorrent",
    ]

    /// Just what the progress poll needs.
    public static let progressKeys: [String] = [
        "gid", "status", "totalLength", "completedLength", "downloadSpeed", "uploadSpeed", "uploadLength", "connections",
        "numSeeders", "seeder",
    ]

    /// `keys` and `progressKeys` as the parameter of a `tell…` call, built once rather than per
    /// call (one per notification, one per poll).
    static let keysParameter = JSONValue.array(keys.map { .string($0) })
    static let progressKeysParameter = JSONValue.array(progressKeys.map { .string($0) })

    public var gidValue: GID? { GID(rawValue: gid) }
    public var isSeeding: Bool { seeder == "true" }

    /// aria2 sends `numSeeders` for torrents only, and not for a stopped one: a stopped torrent
    /// (known by its info-hash) has 0, anything else nil.
    public var progress: DownloadProgress {
        DownloadProgress(
            completedLength: Self.number(completedLength),
            totalLength: Self.number(totalLength),
            downloadSpeed: Self.number(downloadSpeed),
            uploadSpeed: Self.number(uploadSpeed),
            uploadedLength: Self.number(uploadLength),
            connections: Self.number(connections),
            numSeeders: numSeeders.flatMap { Int64($0) } ?? (infoHash != nil ? 0 : nil),
            seeding: status == .active && isSeeding
        )
    }

    /// Real payload files: aria2 lists a magnet's metadata as a pseudo-file `[METADATA]…`, and
    /// files it does not know yet with an empty path.
    public var payloadFiles: [DownloadFile] {
        (files ?? []).enumerated().compactMap { position, file in
            guard !file.path.isEmpty, !file.path.hasPrefix("[METADATA]") else { return nil }
            return DownloadFile(
                path: file.path,
                length: Self.number(file.length),
                completed: Self.number(file.completedLength),
                index: file.index.flatMap { Int($0) } ?? position + 1,
                selected: file.selected != "false"
            )
        }
    }

    /// The torrent's name, or the single file's name.
    public var name: String? {
        if let name = bittorrent?.info?.name, !name.isEmpty { return name }
        let files = payloadFiles
        guard files.count == 1, let last = files[0].path.split(separator: "/").last else { return nil }
        return String(last)
    }

    static func number(_ value: String?) -> Int64 { value.flatMap { Int64($0) } ?? 0 }
}
