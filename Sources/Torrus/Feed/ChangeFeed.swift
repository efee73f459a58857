import Foundation
import Synchronization

/// The one in-process change feed (DESIGN.md §10): every change to a download is published here,
/// with old and new values and its sequence number, after it was stored, in commit order. Subscribers get their own bounded buffer that
/// keeps the newest changes; publishing never waits on a subscriber.
public final class ChangeFeed: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<CommittedChange>.Continuation] = [:]
        var batchSubscribers: [UUID: AsyncStream<[CommittedChange]>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream of changes published from now on. It ends when the feed finishes or the
    /// subscriber stops iterating. A subscriber that falls `buffer` changes behind loses the oldest.
    public func subscribe(buffer: Int = 4096) -> AsyncStream<CommittedChange> {
        add(buffer: buffer, at: \.subscribers)
    }

    /// Like `subscribe`, but each element is what one store write committed, in one piece: for a
    /// subscriber that hands changes on (the event streams), one wake-up per write, not per change.
    /// A subscriber that falls `buffer` writes behind loses the oldest.
    public func subscribeBatches(buffer: Int = 1024) -> AsyncStream<[CommittedChange]> {
        add(buffer: buffer, at: \.batchSubscribers)
    }

    private func add<Element>(
        buffer: Int,
        at subscribers: WritableKeyPath<State, [UUID: AsyncStream<Element>.Continuation]> & Sendable
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = UUID()
        let added = state.withLock { state in
            guard !state.finished else { return false }
            state[keyPath: subscribers][id] = continuation
            return true
        }
        guard added else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0[keyPath: subscribers].removeValue(forKey: id) }
        }
        return stream
    }

    public func publish(_ change: CommittedChange) {
        publish([change])
    }

    /// The changes of one store write, in commit order.
    public func publish(_ changes: [CommittedChange]) {
        let (subscribers, batchSubscribers) = state.withLock { (Array($0.subscribers.values), Array($0.batchSubscribers.values)) }
        for subscriber in subscribers {
            for change in changes { subscriber.yield(change) }
        }
        for subscriber in batchSubscribers { subscriber.yield(changes) }
    }

    /// Ends every subscription; later subscriptions end at once.
    public func finish() {
        let (subscribers, batchSubscribers) = state.withLock { state in
            state.finished = true
            defer {
                state.subscribers = [:]
                state.batchSubscribers = [:]
            }
            return (Array(state.subscribers.values), Array(state.batchSubscribers.values))
        }
        for subscriber in subscribers { subscriber.finish() }
        for subscriber in batchSubscribers { subscriber.finish() }
    }
}
