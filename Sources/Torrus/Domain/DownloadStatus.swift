/// What the downloader is actually doing with a download.
///
/// The raw values are the v1 wire format and must not change.
public enum DownloadStatus: String, Sendable, Codable, CaseIterable {
    /// Known to the downloader, waiting for a free slot (aria2 `waiting`).
    case queued = "Queued"
    case active = "Active"
    case paused = "Paused"
    case complete = "Complete"
    case cancelled = "Cancelled"
    case failed = "Failed"

    /// Complete, Cancelled and Failed end a transfer; only a retry (a new GID) leaves them.
    public var isTerminal: Bool {
        switch self {
        case .complete, .cancelled, .failed: true
        case .queued, .active, .paused: false
        }
    }
}

/// What the user asked for. Stored normalised: `Resume` from the API is stored as `active`.
public enum DesiredStatus: String, Sendable, Codable, CaseIterable {
    /// Hand the download to the downloader, which starts it when it has a free slot.
    case queued = "Queued"
    /// Start now (ahead of queued downloads) or resume.
    case active = "Active"
    case paused = "Paused"
    case cancelled = "Cancelled"
}
