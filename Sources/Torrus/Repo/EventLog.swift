/// The store's log of events (issue 8): every committed change, and every event of the
/// downloader, under its sequence number, kept for a while so that a client of `/v1/events` who
/// was away can be sent what it missed — also after a restart of torrusd, for a persistent store.
public protocol EventLog: Sendable {
    /// Logs an event of the downloader itself, numbered and reported like a change.
    func logDownloaderEvent(_ type: EventType) async throws

    /// Up to `limit` events after `sequence`, oldest first, with the bounds of the log at that
    /// moment, in one read.
    func events(after sequence: Int64, limit: Int) async throws -> EventLogPage
}

public struct EventLogPage: Sendable, Equatable {
    public var events: [LoggedEvent]
    /// The first sequence number the log still holds; `last + 1` when it holds none.
    public var oldest: Int64
    /// The last sequence number committed.
    public var last: Int64

    public init(events: [LoggedEvent], oldest: Int64, last: Int64) {
        self.events = events
        self.oldest = oldest
        self.last = last
    }

    /// Whether the log cannot say everything that followed `sequence`: older events were dropped
    /// (retention), or it is from the future (another store, a store that was reset).
    public func cannotReplay(after sequence: Int64) -> Bool {
        sequence + 1 < oldest || sequence > last
    }
}

/// How much of the event log a store keeps: the newest `count` events, none older than `age`.
public struct EventRetention: Sendable, Equatable {
    public var count: Int
    public var age: Duration

    public init(count: Int = 100_000, age: Duration = .seconds(7 * 24 * 3600)) {
        self.count = count
        self.age = age
    }
}
