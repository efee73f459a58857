import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization

/// One client's stream of `/v1/events`, from its first byte to its end, written through `write`
/// (the HTTP response body). In order:
///
/// 1. With a `Last-Event-ID`: everything the log holds after it, page by page — or `reset` when the
///    log cannot say all that followed it (older than the retention, or from another store).
/// 2. Subscribed to the live events, it reads the log once more for what was committed between its
///    last page and the subscription, then follows the live events, skipping any it already sent.
///    No gap, no duplicate.
/// 3. It ends when the client goes, when Torrus shuts down, or when it fell too far behind: then it
///    sends `reset` (without an id: resuming from the client's last id replays from the log).
struct EventStreamSession {
    let streams: EventStreams
    let filter: EventFilter
    /// The client's `Last-Event-ID`; nil to start with what is committed from now on.
    let resumeAfter: Int64?

    /// Events per read of the log.
    static let page = 500

    func run(write: (ByteBuffer) async throws -> Void) async throws {
        let stop = StopSignal()
        try await withGracefulShutdownHandler {
            try await stream(stop: stop, write: write)
        } onGracefulShutdown: {
            // Torrus is stopping: the server waits for open responses, so this one ends now.
            stop.fire()
        }
    }

    private func stream(stop: StopSignal, write: (ByteBuffer) async throws -> Void) async throws {
        let clock = ContinuousClock()
        var lastWrite = clock.now
        // For the replay only: live events come coalesced by the hub.
        var coalescer = ProgressCoalescer()
        func send(_ buffer: ByteBuffer) async throws {
            guard buffer.readableBytes > 0 else { return }
            try await write(buffer)
            lastWrite = clock.now
        }
        func append(_ outputs: [ProgressCoalescer.Output], to buffer: inout ByteBuffer) {
            for output in outputs {
                switch output {
                case .now(let event): EventFrame.append(event, to: &buffer)
                case .late(let event): EventFrame.append(event, withID: false, to: &buffer)
                }
            }
        }
        /// Sends what the log holds after `position`; returns the new position.
        func replay(after position: Int64) async throws -> Int64 {
            var position = position
            while true {
                let page = try await streams.log.events(after: position, limit: Self.page)
                if page.cannotReplay(after: position) {
                    position = page.last
                    try await send(EventFrame.reset(reason: "The events after the given id are no longer kept; fetch the list again.", id: position))
                    continue
                }
                var buffer = ByteBuffer()
                for event in page.events where filter.accepts(event) { append(coalescer.offer(event), to: &buffer) }
                // What it held is history: its second is over.
                append(coalescer.due(nowMicroseconds: Date.nowMicroseconds()), to: &buffer)
                try await send(buffer)
                position = page.events.last?.sequence ?? position
                if page.events.count < Self.page { return position }
            }
        }

        try await send(EventFrame.opening)
        var position = resumeAfter
        if let after = position { position = try await replay(after: after) }
        let subscriber = streams.subscribe(filter)
        defer { streams.unsubscribe(subscriber) }
        guard stop.attach(subscriber) else { return }
        if let after = position { position = try await replay(after: after) }
        while true {
            // Everything queued since the last write goes out in one write.
            let batch = await subscriber.take()
            if batch.behind {
                try await send(EventFrame.reset(reason: "This stream fell too far behind; fetch the list again.", id: nil))
                return
            }
            var buffer = ByteBuffer()
            for written in batch.writes {
                // The live events were coalesced by the hub, once for every stream. Only those the
                // log already gave this stream (just after it subscribed) are left out.
                var frames = written.frames
                if !written.late, let position, let first = written.events.first, first.sequence <= position {
                    let fresh = written.events.filter { $0.sequence > position }
                    frames = WrittenEvents(fresh).frames
                }
                if !written.late, let last = written.events.last { position = max(position ?? last.sequence, last.sequence) }
                if buffer.readableBytes == 0 { buffer = frames } else { buffer.writeImmutableBuffer(frames) }
            }
            if batch.tick, buffer.readableBytes == 0, clock.now - lastWrite >= streams.limits.heartbeat {
                buffer = EventFrame.heartbeat
            }
            try await send(buffer)
            if batch.ended { return }
        }
    }
}

/// Ends a stream from outside (graceful shutdown), before or after it subscribed.
private final class StopSignal: Sendable {
    private let state = Mutex<(fired: Bool, subscriber: EventSubscriber?)>((false, nil))

    func fire() {
        state.withLock { state in
            state.fired = true
            return state.subscriber
        }?.end()
    }

    /// False when the stream should end at once.
    func attach(_ subscriber: EventSubscriber) -> Bool {
        let fired = state.withLock { state in
            state.subscriber = subscriber
            return state.fired
        }
        if fired { subscriber.end() }
        return !fired
    }
}
