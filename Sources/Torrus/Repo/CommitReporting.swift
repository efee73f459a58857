import Synchronization

/// A store tells one listener about every write it commits, in commit order, before the write
/// returns: the change feed and the representation cache hear of every change in the order the
/// store made them, without a lock around the writes (DESIGN.md §10).
public protocol CommitReporting: Sendable {
    /// Sets the listener. Call it once, before the first write; it replaces any earlier one.
    /// The listener runs inside the store's write serialisation: it must be quick and must not
    /// call the store.
    func reportCommits(to listener: @escaping CommitListener)

    /// The sequence number of the last committed change (0 before the first); never ahead of
    /// what the listener was told.
    func lastSequence() async throws -> Int64

    /// Where the store's writes run, when it has such a place: code that mostly writes (the
    /// reconciler) runs there too and reaches each write without a thread hop.
    var writerExecutor: (any TaskExecutor)? { get }
}

extension CommitReporting {
    public var writerExecutor: (any TaskExecutor)? { nil }
}

public typealias CommitListener = @Sendable ([CommittedChange]) -> Void

/// Where a store keeps its listener. The closure is kept inside a struct: a bare closure kept in a
/// generic `Mutex` is re-abstracted — wrapped in one more thunk — by every `withLock` that hands
/// it out `inout`, so each write made the next call, and the memory it held, a little larger
/// (100,000 creates ended at 60 a second, most of the CPU in nested thunks).
final class CommitListenerSlot: Sendable {
    private struct Held {
        let call: CommitListener
    }

    private let held = Mutex<Held?>(nil)

    func set(_ listener: @escaping CommitListener) {
        held.withLock { $0 = Held(call: listener) }
    }

    /// Calls the listener, if any, outside the lock.
    func report(_ changes: [CommittedChange]) {
        held.withLock { $0 }?.call(changes)
    }
}
