/// A store tells one listener about every write it commits, in commit order, before the write
/// returns: the change feed and the representation cache hear of every change in the order the
/// store made them, without a lock around the writes (DESIGN.md §10).
public protocol CommitReporting: Sendable {
    /// Sets the listener. Call it once, before the first write; it replaces any earlier one.
    /// The listener runs inside the store's write serialisation: it must be quick and must not
    /// call the store.
    func reportCommits(to listener: @escaping CommitListener)

    /// The sequence number of the last committed change (0 before the first).
    func lastSequence() async throws -> Int64
}

public typealias CommitListener = @Sendable ([CommittedChange]) -> Void
