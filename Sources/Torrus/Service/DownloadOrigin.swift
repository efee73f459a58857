import Crypto

/// A file a client uploaded to download from (a `.torrent`), as it came.
public struct UploadedFile: Sendable {
    public var kind: DownloadUpload.Kind
    public var bytes: [UInt8]

    public init(kind: DownloadUpload.Kind, bytes: [UInt8]) {
        self.kind = kind
        self.bytes = bytes
    }
}

/// What a create downloads, checked, and what follows from it: the stored source, the name and
/// info-hash known up front, and the idempotency key.
struct DownloadOrigin {
    var source: String
    var mirrors: [String] = []
    var name: String?
    var infoHash: String?
    var upload: DownloadUpload?
    /// The files of an uploaded torrent, which `selectFiles` numbers.
    var fileCount: Int?

    /// URIs of one file, already validated: the first is the source, the others its mirrors.
    static func uris(_ sources: [String]) -> DownloadOrigin {
        DownloadOrigin(
            source: sources[0],
            mirrors: Array(sources.dropFirst()),
            name: SourceURI.suggestedName(sources[0]),
            infoHash: SourceURI.magnetInfoHash(sources[0])
        )
    }
}

extension DownloadOrigin {
    /// An uploaded file, refused (400, 413) before anything is stored or sent to aria2 when it is
    /// too big or not what it claims to be. Its source is a URN naming its content: the torrent's
    /// info-hash.
    init(_ file: UploadedFile) throws {
        guard !file.bytes.isEmpty else { throw TorrusError.invalidInput("The uploaded \(file.kind.rawValue) is empty.") }
        guard file.bytes.count <= file.kind.maxSize else {
            throw TorrusError.tooLarge("The uploaded \(file.kind.rawValue) is \(file.bytes.count) bytes; at most \(file.kind.maxSize) are accepted.")
        }
        let sha256 = SHA256.hash(data: file.bytes).lowercaseHex
        upload = DownloadUpload(kind: file.kind, size: file.bytes.count, sha256: sha256)
        switch file.kind {
        case .torrent:
            let torrent = try TorrentMetainfo(file.bytes)
            source = "urn:btih:" + torrent.infoHash
            name = torrent.name
            infoHash = torrent.infoHash
            fileCount = torrent.files.count
        }
    }

    /// The idempotency key. aria2 runs one transfer per info-hash, so an uploaded torrent is one
    /// download wherever it is asked to go; URIs are one per target directory.
    func fingerprint(_ targetPath: String, _ out: String?) -> String {
        if upload != nil { return Fingerprint.of(source: source, targetPath: "") }
        return Fingerprint.of(source: source, targetPath: targetPath, mirrors: mirrors, out: out)
    }
}
