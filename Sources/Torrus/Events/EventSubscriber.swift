import NIOCore
import Synchronization

/// The events of one store write as streams receive them, with all their frames back to back:
/// built once by the hub and, in the usual case, written as they are by every stream (one shared
/// buffer, no copy per stream).
struct WrittenEvents: Sendable {
    var events: [LoggedEvent]
    /// Held back by the coalescer and sent after newer events: without ids.
    var late: Bool
    var frames: ByteBuffer

    init(_ events: [LoggedEvent], late: Bool = false) {
        self.events = events
        self.late = late
        var frames = ByteBuffer()
        for event in events { EventFrame.append(event, withID: !late, to: &frames) }
        self.frames = frames
    }
}

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
        var writes: [WrittenEvents] = []
        var queued = 0
        var tick = false
        var ended = false
        var behind = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    /// What the stream takes in one go.
    struct Batch {
        var writes: [WrittenEvents]
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
    func deliver(_ written: WrittenEvents) -> Bool {
        let accepted = filter.acceptsAll ? written : WrittenEvents(written.events.filter(filter.accepts), late: written.late)
        guard !accepted.events.isEmpty else { return false }
        let (waiter, fellBehind) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Bool) in
            guard !state.ended else { return (nil, false) }
            let fellBehind = state.queued + accepted.events.count > capacity
            if fellBehind {
                state.writes = []
                state.queued = 0
                state.behind = true
                state.ended = true
            } else {
                state.writes.append(accepted)
                state.queued += accepted.events.count
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
                state.writes = []
                state.queued = 0
            }
            defer { state.waiter = nil }
            return state.waiter
        }?.resume()
    }

    /// Waits until something is queued (or the task is cancelled), then takes all of it.
    func take() async -> Batch {
        while true {
            let batch = state.withLock { state -> Batch? in
                guard !state.writes.isEmpty || state.tick || state.ended else { return nil }
                defer {
                    state.writes = []
                    state.queued = 0
                    state.tick = false
                }
                return Batch(writes: state.writes, tick: state.tick, ended: state.ended, behind: state.behind)
            }
            if let batch { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let ready = state.withLock { state in
                        if !state.writes.isEmpty || state.tick || state.ended || Task.isCancelled { return true }
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
