/// What a download asks of the downloader beyond its source: aria2's per-download options, as
/// the API names them. Stored with the download, so a re-add (after aria2 lost it) asks the same.
/// Nil (or empty) means aria2's default.
public struct DownloadOptions: Sendable, Equatable, Codable {
    /// The file name within the target directory (aria2 `out`).
    public var out: String?
    /// Extra request headers, `Name: value` (aria2 `header`). Shown by name only: they may carry
    /// credentials.
    public var headers: [String] = []
    /// Bytes per second; 0 is no limit (aria2 `max-download-limit`).
    public var maxDownloadLimit: Int64?
    /// Connections to use (aria2 `split` and `max-connection-per-server`), 1 to 16.
    public var connections: Int?
    /// `<algorithm>=<hex digest>` of the whole file (aria2 `checksum`).
    public var checksum: String?
    /// The torrent's files to download, 1-based (aria2 `select-file`).
    public var selectFiles: [Int]?
    /// Seed until this share ratio (aria2 `seed-ratio`); 0 seeds without a ratio limit.
    public var seedRatio: Double?
    /// Seed for this many minutes at most (aria2 `seed-time`); 0 stops seeding at completion.
    public var seedTime: Int?

    public init() {}

    public var isEmpty: Bool { self == DownloadOptions() }
}

/// What a `PATCH` changes besides the status: options aria2 can change on a running download,
/// the category (an empty one clears it) and the tags. Nil leaves a value as it is.
public struct DownloadSettingsChange: Sendable, Equatable {
    public var options: DownloadOptions?
    public var category: String?
    public var tags: [String]?

    public init(options: DownloadOptions? = nil, category: String? = nil, tags: [String]? = nil) {
        self.options = options
        self.category = category
        self.tags = tags
    }

    public var isEmpty: Bool { (options?.isEmpty ?? true) && category == nil && tags == nil }
}
