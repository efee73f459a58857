import NIOCore
import Synchronization

/// One stream's queue of live events. The hub appends (never waits); the stream takes everything
/// queued at once and sends it in one write — at 100 progress events a poll, one write per stream
/// instead of one per event. Bounded: a stream `capacity` events behind is marked as fallen
/// behind and ended.
final class EventSubscriber: Sendable {
    let id: Int
    let filter: EventFilter
    private let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var events: [(LoggedEvent, ByteBuffer)] = []
        var tick = false
        var ended = false
        var behind = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    /// What the stream takes in one go.
    struct Batch {
        /// Each with its frame, built once for every stream.
        var events: [(LoggedEvent, ByteBuffer)]
        var tick: Bool
        var ended: Bool
        /// Ended because it fell `capacity` events behind.
        var behind: Bool
    }

    init(id: Int, filter: EventFilter, capacity: Int) {
        self.id = id
        self.filter = filter
        self.capacity = capacity
    }

    /// Queues the events of one write that the filter accepts; true when that made the stream
    /// fall behind.
    func deliver(_ events: [(LoggedEvent, ByteBuffer)]) -> Bool {
        let accepted = filter.acceptsAll ? events : events.filter { filter.accepts($0.0) }
        guard !accepted.isEmpty else { return false }
        let (waiter, fellBehind) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            guard !state.ended else { return (nil, false) }
            let fellBehind = state.events.count + accepted.count > capacity
            if fellBehind {
                state.events = []
                state.behind = true
                state.ended = true
            } else {
                state.events += accepted
            }
            defer { state.waiter = nil }
            return (state.waiter, fellBehind)
        }
        waiter?.resume()
        return fellBehind
    }

    func tick() {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.tick = true
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Ends the stream; it still gets what was queued.
    func end(behind: Bool = false) {
        state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.ended = true
            if behind {
                state.behind = true
                state.events = []
            }
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Waits until something is queued (or the task is cancelled), then takes all of it.
    func take() async -> Batch {
        while true {
            let batch = state.withLock { state -> Batch? in
                guard !state.events.isEmpty || state.tick || state.ended else { return nil }
                defer {
                    state.events = []
                    state.tick = false
                }
                return Batch(events: state.events, tick: state.tick, ended: state.ended, behind: state.behind)
            }
            if let batch { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if !state.events.isEmpty || state.tick || state.ended || Task.isCancelled { return true }
                        state.waiter = waiter
                        return false
                    }
                    if ready { waiter.resume() }
                }
            } onCancel: {
                end()
            }
        }
    }
}
