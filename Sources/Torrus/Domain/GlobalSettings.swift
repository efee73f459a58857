/// The downloader's global limits Torrus keeps (`GET/PATCH /v1/settings`): stored, and applied
/// again whenever the push link to aria2 comes up, so an aria2 restart does not lose them. Nil
/// means "never set": aria2's own configuration stands.
public struct GlobalSettings: Sendable, Equatable, Codable {
    /// Bytes per second over all downloads; 0 is no limit (aria2 `max-overall-download-limit`).
    public var maxDownloadLimit: Int64?
    /// Bytes per second (aria2 `max-overall-upload-limit`).
    public var maxUploadLimit: Int64?
    /// Downloads transferring at once (aria2 `max-concurrent-downloads`), 1 to 1000.
    public var maxConcurrentDownloads: Int?

    public init(maxDownloadLimit: Int64? = nil, maxUploadLimit: Int64? = nil, maxConcurrentDownloads: Int? = nil) {
        self.maxDownloadLimit = maxDownloadLimit
        self.maxUploadLimit = maxUploadLimit
        self.maxConcurrentDownloads = maxConcurrentDownloads
    }

    public var isEmpty: Bool { self == GlobalSettings() }

    /// These settings with what `change` sets.
    public func merging(_ change: GlobalSettings) -> GlobalSettings {
        GlobalSettings(
            maxDownloadLimit: change.maxDownloadLimit ?? maxDownloadLimit,
            maxUploadLimit: change.maxUploadLimit ?? maxUploadLimit,
            maxConcurrentDownloads: change.maxConcurrentDownloads ?? maxConcurrentDownloads
        )
    }

    func validate() throws {
        for (name, limit) in [("maxDownloadLimit", maxDownloadLimit), ("maxUploadLimit", maxUploadLimit)] {
            if let limit, !(0...(1 << 40)).contains(limit) {
                throw TorrusError.invalidInput("\(name) must be bytes per second from 0 (no limit) to 2^40.")
            }
        }
        if let count = maxConcurrentDownloads, !(1...1000).contains(count) {
            throw TorrusError.invalidInput("maxConcurrentDownloads must be from 1 to 1000.")
        }
    }
}
