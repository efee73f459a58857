import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The clients of `/v1/events`: reads the change feed and hands each committed event to every
/// open stream, through a bounded buffer of its own. Handing over never waits: a stream whose
/// buffer is full is marked as fallen behind and ended (it sends `reset`), and nobody else — the
/// reconciler least of all — notices. It coalesces progress once for every stream
/// (`ProgressCoalescer`), lets held-back progress out on a ticker that also wakes quiet streams
/// for their heartbeats, and caps how many streams may be open at once.
public final class EventStreams: Service, Sendable {
    public struct Limits: Sendable, Equatable {
        /// Open streams at most (per API token: Torrus has one). Beyond it, 429.
        public var maxStreams = 100
        /// Events a stream may be behind before it is reset and closed.
        public var buffer = 4096
        /// A comment line after this much silence.
        public var heartbeat = Duration.seconds(15)

        public init() {}
    }

    let log: any EventLog
    let limits: Limits
    /// One for all live streams: each decision (send now, hold, send late) is made once, not once
    /// per stream, so every stream sends the same frames (`WrittenEvents`).
    private let coalescer = Mutex(ProgressCoalescer())
    /// Subscribed when made, not when `run` starts: no change committed in between is missed.
    /// In batches, one per store write: each stream then wakes once per write.
    private let changes: AsyncStream<[CommittedChange]>
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var open = 0
        var subscribers: [Int: EventSubscriber] = [:]
        var nextID = 0
        var closed = false
    }

    public init(feed: ChangeFeed, log: any EventLog, limits: Limits = Limits(), logger: Logger) {
        // A large buffer: `run` only hands events over. Should it still fall behind, every stream
        // is reset (their clients resume from the log), never served with a gap.
        changes = feed.subscribeBatches(buffer: 1 << 14)
        self.log = log
        self.limits = limits
        self.logger = logger
    }

    /// How often the ticker runs: held-back progress goes out at most this late after its second
    /// is over.
    var tick: Duration { min(.milliseconds(500), limits.heartbeat / 2) }

    // MARK: streams

    /// A place among the open streams, taken before the response starts (so "too many" can still
    /// be a 429) and given back when the permit goes away, whether or not a stream ever ran.
    final class Permit: Sendable {
        private let release: @Sendable () -> Void
        init(release: @escaping @Sendable () -> Void) { self.release = release }
        deinit { release() }
    }

    enum OpenError: Error {
        case tooManyStreams(limit: Int)
        case shuttingDown
    }

    func reserve() throws(OpenError) -> Permit {
        let limit = limits.maxStreams
        let outcome: OpenError? = state.withLock { state in
            if state.closed { return .shuttingDown }
            guard state.open < limit else { return .tooManyStreams(limit: limit) }
            state.open += 1
            return nil
        }
        if let outcome { throw outcome }
        return Permit { [weak self] in self?.state.withLock { $0.open -= 1 } }
    }

    /// Adds a stream: from now on it is handed every committed event its filter accepts, until
    /// it falls behind, Torrus shuts down, or it is `unsubscribe`d.
    func subscribe(_ filter: EventFilter) -> EventSubscriber {
        state.withLock { state in
            state.nextID += 1
            let subscriber = EventSubscriber(id: state.nextID, filter: filter, capacity: limits.buffer)
            if state.closed {
                subscriber.end()
            } else {
                state.subscribers[subscriber.id] = subscriber
            }
            return subscriber
        }
    }

    func unsubscribe(_ subscriber: EventSubscriber) {
        state.withLock { _ = $0.subscribers.removeValue(forKey: subscriber.id) }
    }

    // MARK: the service

    public func run() async throws {
        let changes = self.changes
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { await self.ticking() }
                var last: Int64?
                for await batch in changes.cancelOnGracefulShutdown() {
                    guard let first = batch.first?.sequence else { continue }
                    if let last, first != last + 1 {
                        logger.warning(
                            "The event streams fell behind the change feed; resetting every stream",
                            metadata: ["missed": "\(first - last - 1)"]
                        )
                        endAll(behind: true)
                    }
                    last = batch.last?.sequence
                    // Nobody listening (the usual case): nothing to decide or build.
                    guard subscriberCount > 0 else { continue }
                    coalescer.withLock { coalescer in
                        hand(batch.flatMap { coalescer.offer($0.event) })
                    }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.endAll(behind: false, closing: true)
        }
    }

    /// Until cancelled. Held-back progress is let out every `tick`; streams are woken (to send a
    /// heartbeat if they have been quiet) only every half heartbeat, not on every tick.
    private func ticking() async {
        var sinceStreamsTicked = Duration.zero
        while true {
            do { try await Task.sleep(for: tick) } catch { return }
            coalescer.withLock { coalescer in
                if coalescer.isHolding { hand(coalescer.due(nowMicroseconds: Date.nowMicroseconds())) }
            }
            sinceStreamsTicked += tick
            guard sinceStreamsTicked >= limits.heartbeat / 2 else { continue }
            sinceStreamsTicked = .zero
            for subscriber in subscribers() { subscriber.tick() }
        }
    }

    /// Hands what the coalescer let out to every stream, in runs of events sent with their id and
    /// runs of late ones (without). Called under the coalescer's lock, so streams get events in
    /// the order it decided them.
    private func hand(_ outputs: [ProgressCoalescer.Output]) {
        var runs: [WrittenEvents] = []
        var current: [LoggedEvent] = []
        var late = false
        for output in outputs {
            let (event, isLate) =
                switch output {
                case .now(let event): (event, false)
                case .late(let event): (event, true)
                }
            if isLate != late, !current.isEmpty {
                runs.append(WrittenEvents(current, late: late))
                current = []
            }
            late = isLate
            current.append(event)
        }
        if !current.isEmpty { runs.append(WrittenEvents(current, late: late)) }
        guard !runs.isEmpty else { return }
        let subscribers = subscribers()
        for written in runs {
            for subscriber in subscribers where subscriber.deliver(written) { unsubscribe(subscriber) }
        }
    }

    /// Streams subscribed to live events now.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    private func subscribers() -> [EventSubscriber] {
        state.withLock { Array($0.subscribers.values) }
    }

    /// Ends every stream; with `closing`, no new one opens.
    private func endAll(behind: Bool, closing: Bool = false) {
        let all = state.withLock { state in
            if closing { state.closed = true }
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        for subscriber in all { subscriber.end(behind: behind) }
    }
}
