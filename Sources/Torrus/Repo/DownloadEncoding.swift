/// The representation a store keeps next to each download, encoded once per write, so that reads
/// serve bytes instead of encoding a download per request (the API's v1 JSON, `DownloadJSON`).
/// The store knows nothing of the format; it only keeps the bytes current.
public struct DownloadEncoding: Sendable {
    /// Bumped whenever the representation changes: a store that holds rows encoded with another
    /// version encodes them all again when it opens.
    public let version: Int
    public let encode: @Sendable (Download) -> [UInt8]

    public init(version: Int, encode: @escaping @Sendable (Download) -> [UInt8]) {
        self.version = version
        self.encode = encode
    }
}
