/// One entry of the store's log as it committed it, numbered inside the transaction that made it:
/// sequence numbers grow by one per entry, in commit order, and survive restarts of a persistent
/// store. Almost every entry is a change to a download; the others are events of the downloader
/// (its push link going up or down), which clients replay in the same order.
public struct CommittedChange: Sendable, Equatable {
    public var sequence: Int64 { event.sequence }
    /// The change to a download; nil for an event of the downloader.
    public var change: DownloadChange?
    /// The stored representation after the change (`DownloadEncoding`); nil for a deletion.
    public var representation: [UInt8]?
    /// What the event log keeps of this entry, and clients of `/v1/events` receive.
    public var event: LoggedEvent

    public init(change: DownloadChange?, representation: [UInt8]?, event: LoggedEvent) {
        self.change = change
        self.representation = representation
        self.event = event
    }

    /// A numbered event of the downloader itself (no download changed).
    public static func downloaderEvent(_ type: EventType, sequence: Int64, at microseconds: Int64) -> CommittedChange {
        CommittedChange(change: nil, representation: nil, event: EventPayload.downloaderEvent(type, at: microseconds).numbered(sequence))
    }

    /// A numbered download change with the event it makes (tests, and stores that number here).
    public init(sequence: Int64, change: DownloadChange, representation: [UInt8]?, at microseconds: Int64 = 0) {
        self.init(
            change: change,
            representation: representation,
            event: EventPayload.event(for: change, representation: representation, at: microseconds).numbered(sequence)
        )
    }
}
