/// Something that happened to a transfer, as the downloader saw it. Events name the GID they
/// happened to; the reconciler drops those whose GID is not the download's current one.
public struct DownloaderEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Waiting for a free slot.
        case queued
        case started
        case paused
        /// The payload is complete (for a torrent: seeding may go on).
        case completed
        case cancelled
        case failed(DownloadFailure)
        case progress(DownloadProgress)
        /// What the transfer turned out to contain. Empty `files` and nil values mean "unknown".
        case metadata(name: String?, files: [DownloadFile], infoHash: String?)
        /// The transfer continues under another GID (a magnet's or torrent's metadata GID is
        /// followed by the real one).
        case gidSwapped(to: GID)
    }

    public var gid: GID
    public var kind: Kind
    /// When the call whose answer this event comes from was sent; nil when it was not an answer
    /// (the reconciler then never takes it for stale, see `CommandLog`).
    public var observedAt: ContinuousClock.Instant?

    public init(gid: GID, _ kind: Kind, observedAt: ContinuousClock.Instant? = nil) {
        self.gid = gid
        self.kind = kind
        self.observedAt = observedAt
    }
}

extension [DownloaderEvent] {
    /// These events, as answers to a call sent at `instant`.
    func observed(at instant: ContinuousClock.Instant) -> [DownloaderEvent] {
        map { event in
            var event = event
            event.observedAt = instant
            return event
        }
    }
}
