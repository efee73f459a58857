/// How one downloader event changes a download. Pure, so the rules are tested without a store.
///
/// The caller has already checked that the event's GID is the download's current GID; events
/// for an older GID (before a retry or a GID swap) never get here.
enum EventRules {
    static func apply(_ kind: DownloaderEvent.Kind, to download: inout Download) {
        switch kind {
        case .queued:
            setStatus(.queued, on: &download)
        case .started:
            setStatus(.active, on: &download)
        case .paused:
            setStatus(.paused, on: &download)
        case .cancelled:
            setStatus(.cancelled, on: &download)
        case .failed(let failure):
            // A retry that fails again (its new GID) keeps Failed but says why this time.
            if setStatus(.failed, on: &download) || download.status == .failed { download.error = failure }
        case .completed:
            // Completion is a fact about the payload, so it also overrides a Cancelled or
            // Failed that was recorded while the completion was in flight.
            guard download.status != .complete else { return }
            download.status = .complete
            download.completedAt = .nowMilliseconds()
            download.error = nil
            download.progress.downloadSpeed = 0
            // A seeding torrent still talks to its peers (its progress came first).
            if !download.progress.seeding { download.progress.connections = 0 }
            if download.progress.totalLength > 0 { download.progress.completedLength = download.progress.totalLength }
            // A file left out of the download stays as far as it got.
            for position in download.files.indices where download.files[position].selected {
                download.files[position].completed = download.files[position].length
            }
        case .progress(let progress):
            download.progress = progress
            if download.status == .failed || download.status == .cancelled { download.progress.stop() }
        case .metadata(let name, let files, let infoHash):
            if let name { download.name = name }
            if !files.isEmpty { download.files = files }
            if let infoHash { download.infoHash = infoHash }
        case .gidSwapped(let gid):
            download.gid = gid
        }
    }

    /// Status events never move a download out of a terminal status: only a retry (a new GID)
    /// does that, and events of the old GID are dropped before they get here.
    @discardableResult
    private static func setStatus(_ status: DownloadStatus, on download: inout Download) -> Bool {
        guard !download.status.isTerminal else { return false }
        download.status = status
        if status.isTerminal { download.progress.stop() }
        if status != .active { download.progress.connections = 0 }
        if status != .failed { download.error = nil }
        return true
    }
}
