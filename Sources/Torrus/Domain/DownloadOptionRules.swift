import Foundation

/// The rules of a download's options, category and tags: every value that reaches aria2, its
/// session file or a log is checked here first, with an error that names the field.
enum DownloadOptionRules {
    static let maxHeaders = 32
    static let maxHeaderBytes = 4096
    static let maxMirrors = 16
    static let maxTags = 32
    static let maxLabelBytes = 64
    /// Headers aria2 writes itself or that would change how a response is framed.
    static let forbiddenHeaders: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "range", "te", "upgrade"]
    /// Hex digits of each digest aria2 checks.
    static let checksumLengths = ["md5": 32, "sha-1": 40, "sha-224": 56, "sha-256": 64, "sha-384": 96, "sha-512": 128, "adler32": 8]

    /// Checks `options` for a download of `source`, or of an uploaded file of kind `upload` (the
    /// kind of source decides what applies). `fileCount`, when known, bounds `selectFiles`.
    static func validate(_ options: DownloadOptions, source: String, upload: DownloadUpload.Kind? = nil, fileCount: Int? = nil) throws {
        let torrent = upload == .torrent || (upload == nil && source.lowercased().hasPrefix("magnet:"))
        let http = ["http:", "https:"].contains { source.lowercased().hasPrefix($0) }
        if let out = options.out { try validateFileName(out) }
        if !options.headers.isEmpty {
            guard http else { throw TorrusError.invalidInput("options.headers apply to http and https sources only.") }
            guard options.headers.count <= maxHeaders else { throw TorrusError.invalidInput("options.headers: at most \(maxHeaders) headers.") }
            for header in options.headers { try validateHeader(header) }
        }
        if let limit = options.maxDownloadLimit, !(0...(1 << 40)).contains(limit) {
            throw TorrusError.invalidInput("options.maxDownloadLimit must be bytes per second from 0 (no limit) to 2^40.")
        }
        if let connections = options.connections, !(1...16).contains(connections) {
            throw TorrusError.invalidInput("options.connections must be from 1 to 16.")
        }
        if let checksum = options.checksum {
            guard !torrent else {
                throw TorrusError.invalidInput("options.checksum applies to http, ftp and sftp sources; a torrent checks its pieces itself.")
            }
            try validateChecksum(checksum)
        }
        if let files = options.selectFiles {
            guard torrent else { throw TorrusError.invalidInput("options.selectFiles applies to torrents only.") }
            guard !files.isEmpty, files.count <= 10_000, files.allSatisfy({ (1...1_000_000).contains($0) }) else {
                throw TorrusError.invalidInput("options.selectFiles must list file numbers from 1 (at least one, at most 10,000).")
            }
            if let fileCount, let beyond = files.first(where: { $0 > fileCount }) {
                throw TorrusError.invalidInput("options.selectFiles: the torrent has \(fileCount) files; there is no file \(beyond).")
            }
        }
        if options.seedRatio != nil || options.seedTime != nil {
            guard torrent else { throw TorrusError.invalidInput("options.seedRatio and options.seedTime apply to torrents only.") }
        }
        if let ratio = options.seedRatio, !(ratio.isFinite && (0...1000).contains(ratio)) {
            throw TorrusError.invalidInput("options.seedRatio must be from 0 to 1000.")
        }
        if let time = options.seedTime, !(0...525_600).contains(time) {
            throw TorrusError.invalidInput("options.seedTime must be minutes from 0 to 525600 (a year).")
        }
    }

    /// A plain file name: no path, no control or invisible characters, not `.` or `..`.
    static func validateFileName(_ name: String) throws {
        guard !name.isEmpty, name.utf8.count <= 255 else { throw TorrusError.invalidInput("options.out must be 1 to 255 bytes.") }
        guard !name.contains("/"), !name.contains("\\"), name != ".", name != ".." else {
            throw TorrusError.invalidInput("options.out must be a file name, without '/' or '\\'; the directory is targetPath.")
        }
        if let hidden = name.unicodeScalars.first(where: { TextRules.isControl($0.value) || TextRules.isInvisible($0) }) {
            throw TorrusError.invalidInput(
                "options.out must not contain control or invisible characters (found \(TextRules.describe(hidden.value)))."
            )
        }
        guard name.trimmingCharacters(in: .whitespaces) == name else {
            throw TorrusError.invalidInput("options.out must not begin or end with a space.")
        }
    }

    /// `Name: value`: a token for a name, no control character but tab in the value.
    static func validateHeader(_ header: String) throws {
        guard header.utf8.count <= maxHeaderBytes else {
            throw TorrusError.invalidInput("options.headers: a header is longer than \(maxHeaderBytes) bytes.")
        }
        guard let colon = header.firstIndex(of: ":") else {
            throw TorrusError.invalidInput("options.headers must be 'Name: value' lines.")
        }
        let name = header[..<colon]
        let tokenCharacters = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(tokenCharacters.contains) else {
            throw TorrusError.invalidInput("options.headers: '\(TextRules.escapingControls(String(name.prefix(40))))' is not a header name.")
        }
        guard !forbiddenHeaders.contains(name.lowercased()) else {
            throw TorrusError.invalidInput("options.headers: \(name) is set by aria2 and cannot be given.")
        }
        if let control = header[colon...].unicodeScalars.first(where: { TextRules.isControl($0.value) && $0 != "\t" }) {
            throw TorrusError.invalidInput(
                "options.headers: the value of \(name) contains a control character (\(TextRules.describe(control.value)))."
            )
        }
    }

    static func validateChecksum(_ checksum: String) throws {
        let parts = checksum.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let length = checksumLengths[parts[0].lowercased()] else {
            throw TorrusError.invalidInput(
                "options.checksum must be <algorithm>=<hex digest>, the algorithm one of \(checksumLengths.keys.sorted().joined(separator: ", "))."
            )
        }
        guard parts[1].count == length, parts[1].allSatisfy(\.isHexDigit) else {
            throw TorrusError.invalidInput("options.checksum: a \(parts[0]) digest is \(length) hex digits.")
        }
    }

    /// A category or a tag: 1 to 64 bytes, no control or invisible characters, no space at either end.
    static func validateLabel(_ label: String, field: String) throws {
        guard !label.isEmpty, label.utf8.count <= maxLabelBytes else {
            throw TorrusError.invalidInput("\(field) must be 1 to \(maxLabelBytes) bytes.")
        }
        if let hidden = label.unicodeScalars.first(where: { TextRules.isControl($0.value) || TextRules.isInvisible($0) }) {
            throw TorrusError.invalidInput("\(field) must not contain control or invisible characters (found \(TextRules.describe(hidden.value))).")
        }
        guard label.trimmingCharacters(in: .whitespaces) == label else {
            throw TorrusError.invalidInput("\(field) must not begin or end with a space.")
        }
    }

    static func validateTags(_ tags: [String]) throws {
        guard tags.count <= maxTags else { throw TorrusError.invalidInput("tags: at most \(maxTags).") }
        for tag in tags { try validateLabel(tag, field: "tags") }
        guard Set(tags).count == tags.count else { throw TorrusError.invalidInput("tags must not repeat.") }
    }
}
