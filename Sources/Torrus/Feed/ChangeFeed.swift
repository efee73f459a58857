import Foundation
import Synchronization

/// The one in-process change feed (DESIGN.md §10): every change to a download is published here,
/// with old and new values and its sequence number, after it was stored, in commit order. Subscribers get their own bounded buffer that
/// keeps the newest changes; publishing never waits on a subscriber.
public final class ChangeFeed: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<CommittedChange>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    public init() {}

    /// A stream of changes published from now on. It ends when the feed finishes or the
    /// subscriber stops iterating. A subscriber that falls `buffer` changes behind loses the oldest.
    public func subscribe(buffer: Int = 4096) -> AsyncStream<CommittedChange> {
        let (stream, continuation) = AsyncStream.makeStream(of: CommittedChange.self, bufferingPolicy: .bufferingNewest(buffer))
        let id = UUID()
        let added = state.withLock { state in
            guard !state.finished else { return false }
            state.subscribers[id] = continuation
            return true
        }
        guard added else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func publish(_ change: CommittedChange) {
        let subscribers = state.withLock { Array($0.subscribers.values) }
        for subscriber in subscribers { subscriber.yield(change) }
    }

    /// Ends every subscription; later subscriptions end at once.
    public func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.finish() }
    }
}
