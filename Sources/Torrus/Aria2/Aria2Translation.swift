/// Turns what aria2 says about one GID into the events that make Torrus's view match it.
/// Pure, so the mapping is tested without aria2 (README, "aria2 status mapping").
enum Aria2Translation {
    static func events(for status: Aria2Status) -> [DownloaderEvent] {
        guard let gid = status.gidValue else { return [] }
        var events: [DownloaderEvent] = []
        // The real transfer of a magnet or .torrent follows its metadata GID: if Torrus still
        // holds the metadata GID, move the download over first (the reconciler ignores the swap
        // when it already has the real GID).
        if let following = status.following.flatMap(GID.init(rawValue:)) {
            events.append(DownloaderEvent(gid: following, .gidSwapped(to: gid)))
        }
        // A finished metadata transfer only hands over; it never completes the download.
        if status.status == .complete, let next = status.followedBy?.first.flatMap(GID.init(rawValue:)) {
            events.append(DownloaderEvent(gid: gid, .gidSwapped(to: next)))
            return events
        }
        let files = status.payloadFiles
        if status.name != nil || !files.isEmpty || status.infoHash != nil {
            events.append(DownloaderEvent(gid: gid, .metadata(name: status.name, files: files, infoHash: status.infoHash)))
        }
        events.append(DownloaderEvent(gid: gid, .progress(status.progress)))
        if let kind = statusEvent(status) { events.append(DownloaderEvent(gid: gid, kind)) }
        return events
    }

    /// aria2 status → Torrus status: waiting → Queued, active → Active (Complete while seeding),
    /// paused → Paused, complete → Complete, error → Failed, removed → Cancelled.
    static func statusEvent(_ status: Aria2Status) -> DownloaderEvent.Kind? {
        switch status.status {
        case .active: status.isSeeding ? .completed : .started
        case .waiting: .queued
        case .paused: .paused
        case .complete: .completed
        case .removed: .cancelled
        case .error: .failed(failure(status))
        case .unknown: nil
        }
    }

    /// aria2's `errorCode` is a number sent as a string; absent or unreadable means unknown (1).
    static func failure(_ status: Aria2Status) -> DownloadFailure {
        let code = status.errorCode.flatMap { Int($0) } ?? 1
        return DownloadFailure(code: code, message: Aria2ErrorCode.message(code: code, aria2Message: status.errorMessage))
    }
}
