/// A download made from a file the client uploaded (a `.torrent`) instead of a URI.
/// The bytes themselves are kept by the store beside the download (`DownloadFinder.upload(of:)`),
/// read only when the file is handed to the downloader: the first time, and again whenever aria2
/// has lost it. This is what the API shows of them.
public struct DownloadUpload: Sendable, Equatable, Codable {
    /// Only torrents: aria2 ignores the `gid` option of `addMetalink` and names its transfers
    /// itself, so a metalink would make transfers Torrus does not own (its GIDs are Torrus's,
    /// stored before aria2 hears of them). A metalink's file is a download of its URIs as
    /// `sources` with `options.checksum`.
    public enum Kind: String, Sendable, Codable {
        case torrent

        /// The largest file of this kind Torrus accepts (413 beyond): a torrent of 100,000 files
        /// is a few MiB.
        public var maxSize: Int { 10 << 20 }

        /// The longest base64 text of the largest file (4 characters for every 3 bytes).
        public var maxBase64Length: Int { (maxSize + 2) / 3 * 4 }
    }

    /// Why a metalink is refused (the `Kind` above), with what to do instead.
    static let metalinkRefused = TorrusError.invalidInput(
        "Metalinks are not accepted: aria2 names a metalink's transfers itself, and Torrus owns every transfer it starts. Give the file's URIs as 'sources' and its digest as 'options.checksum'."
    )

    public var kind: Kind
    /// Bytes.
    public var size: Int
    /// SHA-256 of the file, lower-case hex.
    public var sha256: String

    public init(kind: Kind, size: Int, sha256: String) {
        self.kind = kind
        self.size = size
        self.sha256 = sha256
    }
}
