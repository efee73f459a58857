import Foundation

/// One download as Torrus owns it: identity, what the user asked for, and what the downloader
/// last reported. Plain value; every change goes through `DownloadWriter.update`.
public struct Download: Sendable, Equatable, Identifiable {
    public var id: UUID
    /// The downloader's handle. Torrus generates it; a retry or a torrent's GID swap replaces it.
    public var gid: GID?
    public var source: String
    /// More URIs of the same file, tried alongside `source` (aria2 takes them as one download).
    public var mirrors: [String]
    /// Cleaned absolute directory the payload is written into.
    public var targetPath: String
    /// SHA-256 of trimmed source and cleaned target path; makes create idempotent.
    public var fingerprint: String
    public var name: String?
    public var files: [DownloadFile]
    public var status: DownloadStatus
    public var desiredStatus: DesiredStatus
    public var progress: DownloadProgress
    public var error: DownloadFailure?
    /// BitTorrent info-hash, once known; matches a torrent across an aria2 restart.
    public var infoHash: String?
    /// What was asked of the downloader beyond the source.
    public var options: DownloadOptions
    /// The user's grouping: one category, any tags. Torrus's own; aria2 never sees them.
    public var category: String?
    public var tags: [String]
    /// The uploaded file this download was made from; nil for a download of URIs.
    public var upload: DownloadUpload?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the download last became Complete; nil until then, and again once it is retried.
    public var completedAt: Date?

    public init(
        id: UUID = UUID(),
        gid: GID? = nil,
        source: String,
        targetPath: String,
        fingerprint: String,
        name: String? = nil,
        files: [DownloadFile] = [],
        status: DownloadStatus = .queued,
        desiredStatus: DesiredStatus = .queued,
        progress: DownloadProgress = .zero,
        error: DownloadFailure? = nil,
        infoHash: String? = nil,
        mirrors: [String] = [],
        options: DownloadOptions = DownloadOptions(),
        category: String? = nil,
        tags: [String] = [],
        upload: DownloadUpload? = nil,
        createdAt: Date,
        updatedAt: Date? = nil,
        completedAt: Date? = nil
    ) {
        self.id = id
        self.gid = gid
        self.source = source
        self.targetPath = targetPath
        self.fingerprint = fingerprint
        self.name = name
        self.files = files
        self.status = status
        self.desiredStatus = desiredStatus
        self.progress = progress
        self.error = error
        self.infoHash = infoHash
        self.mirrors = mirrors
        self.options = options
        self.category = category
        self.tags = tags
        self.upload = upload
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.completedAt = completedAt
    }
}

/// One file of a download's payload, as the downloader reports it.
public struct DownloadFile: Sendable, Equatable, Codable {
    /// Absolute path as the downloader writes it.
    public var path: String
    public var length: Int64
    /// Bytes of this file already on disk.
    public var completed: Int64
    /// The downloader's 1-based number of the file within the download (aria2's `index`, what
    /// `selectFiles` names). 0 only while decoding a stored list from before it was kept: the
    /// store then gives each file its position + 1 (`DownloadFile.numbered`).
    public var index: Int
    /// Whether the file is downloaded (aria2's `selected`; a torrent's `selectFiles`).
    public var selected: Bool

    public init(path: String, length: Int64, completed: Int64, index: Int, selected: Bool = true) {
        self.path = path
        self.length = length
        self.completed = completed
        self.index = index
        self.selected = selected
    }

    private enum CodingKeys: String, CodingKey {
        case completed, index, length, path, selected
    }

    /// `index` and `selected` may be missing (rows written before they were kept): 0 (see
    /// `index`) and true.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        length = try container.decode(Int64.self, forKey: .length)
        completed = try container.decode(Int64.self, forKey: .completed)
        index = try container.decodeIfPresent(Int.self, forKey: .index) ?? 0
        selected = try container.decodeIfPresent(Bool.self, forKey: .selected) ?? true
    }

    /// Files decoded from a list that did not say their index are numbered by position, as the
    /// downloader numbers them.
    static func numbered(_ files: [DownloadFile]) -> [DownloadFile] {
        guard files.contains(where: { $0.index == 0 }) else { return files }
        var files = files
        for position in files.indices where files[position].index == 0 { files[position].index = position + 1 }
        return files
    }
}

/// What the downloader last reported about a transfer's progress. Derived figures (percent,
/// ETA, ratio) are not kept: the API computes them when it encodes a download.
public struct DownloadProgress: Sendable, Equatable, Codable {
    public var completedLength: Int64
    public var totalLength: Int64
    /// Bytes per second.
    public var downloadSpeed: Int64
    public var uploadSpeed: Int64
    /// Bytes uploaded to peers (aria2's `uploadLength`).
    public var uploadedLength: Int64
    /// Peers or servers connected (aria2's `connections`); 0 when not active.
    public var connections: Int64
    /// Seeders the torrent is connected to (aria2's `numSeeders`); nil for other downloads.
    public var numSeeders: Int64?
    /// A complete torrent that still uploads (aria2 active with `seeder` true).
    public var seeding: Bool

    public static let zero = DownloadProgress(completedLength: 0, totalLength: 0, downloadSpeed: 0, uploadSpeed: 0)

    public init(
        completedLength: Int64,
        totalLength: Int64,
        downloadSpeed: Int64,
        uploadSpeed: Int64,
        uploadedLength: Int64 = 0,
        connections: Int64 = 0,
        numSeeders: Int64? = nil,
        seeding: Bool = false
    ) {
        self.completedLength = completedLength
        self.totalLength = totalLength
        self.downloadSpeed = downloadSpeed
        self.uploadSpeed = uploadSpeed
        self.uploadedLength = uploadedLength
        self.connections = connections
        self.numSeeders = numSeeders
        self.seeding = seeding
    }

    /// A transfer that stopped for good (Failed, Cancelled) moves nothing and talks to no one.
    public mutating func stop() {
        downloadSpeed = 0
        uploadSpeed = 0
        connections = 0
        seeding = false
    }
}

/// Why a download failed: a number as aria2 defines its error codes (Torrus's own checks use the
/// aria2 code of the same meaning) and a message in words.
public struct DownloadFailure: Sendable, Equatable, Codable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }
}
