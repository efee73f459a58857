import Foundation

/// Something that transfers downloads: aria2 in production, `NoopDownloader` for development.
///
/// Calls return once the downloader has accepted the command; what happens afterwards arrives
/// as `DownloaderEvent`s through the downloader's `Reporter`. Failures are thrown as
/// `TorrusError` with code `downloaderUnavailable` (could not reach it) or `downloaderRejected`
/// (it answered with an error).
public protocol Downloader: Sendable {
    /// Hands a new or retried download to the downloader under `download.gid`, which Torrus has
    /// already persisted. `desiredStatus` `paused` adds it paused; `active` puts it ahead of queued ones.
    func start(_ download: Download) async throws
    func pause(_ download: Download) async throws
    func resume(_ download: Download) async throws
    func cancel(_ download: Download) async throws
    /// Makes the downloader forget the download. With `deleteFiles`, also removes its payload
    /// under the `PayloadRemover` rules. A download the downloader does not know is not an error.
    func purge(_ download: Download, deleteFiles: Bool) async throws
    /// Applies changed options to a download the downloader has (`options` holds only what
    /// changed). One it does not have is not an error: it gets the stored options when it is
    /// added again.
    func change(_ download: Download, options: DownloadOptions) async throws
    /// The downloader's own totals (`GET /v1/stats`); nil when it keeps none.
    func globalStats() async throws -> DownloaderStats?
    /// Applies global limits (what is nil is left as the downloader has it).
    func apply(_ settings: GlobalSettings) async throws
    /// Pauses several downloads, in one round trip where the downloader can; returns why each
    /// one it could not pause failed (by id).
    func pause(_ downloads: [Download]) async -> [UUID: TorrusError]
    /// Resumes several downloads, as `pause(_:)`.
    func resume(_ downloads: [Download]) async -> [UUID: TorrusError]
}

extension Downloader {
    /// One call each, for downloaders without a batch.
    public func pause(_ downloads: [Download]) async -> [UUID: TorrusError] {
        await each(downloads) { try await pause($0) }
    }

    public func resume(_ downloads: [Download]) async -> [UUID: TorrusError] {
        await each(downloads) { try await resume($0) }
    }

    func each(_ downloads: [Download], _ body: (Download) async throws -> Void) async -> [UUID: TorrusError] {
        var failures: [UUID: TorrusError] = [:]
        for download in downloads {
            do {
                try await body(download)
            } catch {
                failures[download.id] = error as? TorrusError ?? .downloaderUnavailable("The downloader could not be reached: \(error)")
            }
        }
        return failures
    }
}

/// What the downloader says of all its transfers at once (aria2's `getGlobalStat`).
public struct DownloaderStats: Sendable, Equatable, Codable {
    /// Bytes per second over all transfers.
    public var downloadSpeed: Int64
    public var uploadSpeed: Int64
    public var numActive: Int
    public var numWaiting: Int
    public var numStopped: Int

    public init(downloadSpeed: Int64, uploadSpeed: Int64, numActive: Int, numWaiting: Int, numStopped: Int) {
        self.downloadSpeed = downloadSpeed
        self.uploadSpeed = uploadSpeed
        self.numActive = numActive
        self.numWaiting = numWaiting
        self.numStopped = numStopped
    }
}
