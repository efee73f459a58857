import Foundation

/// Which of a target's events go out next: in log order, at most `concurrency` at once, never two
/// of one download at once (a download's events arrive in order; the downloader's own events
/// count as one more "download"). Pure state, no I/O: `WebhookDispatcher` drives it.
struct WebhookQueue {
    /// The last event read from the log (whether it was for this target or not).
    private(set) var readThrough: Int64
    /// Read, for this target, not started yet; in log order.
    private(set) var waiting: [LoggedEvent] = []
    /// Started and not finished (being sent, or waiting to be retried): sequence → download.
    private(set) var inFlight: [Int64: UUID?] = [:]
    private var busy: Set<UUID?> = []
    let filter: EventFilter

    init(after sequence: Int64, filter: EventFilter) {
        readThrough = sequence
        self.filter = filter
    }

    /// Takes events read from the log after `readThrough`, keeping those for this target.
    mutating func read(_ events: [LoggedEvent]) {
        for event in events where event.sequence > readThrough {
            readThrough = event.sequence
            if filter.accepts(event) { waiting.append(event) }
        }
    }

    /// The log lost events this target had not read (retention): it goes on from `sequence`.
    mutating func skip(to sequence: Int64) {
        readThrough = max(readThrough, sequence)
    }

    /// The events to start now, marked started.
    mutating func start(concurrency: Int) -> [LoggedEvent] {
        var started: [LoggedEvent] = []
        var blocked: Set<UUID?> = []
        var kept: [LoggedEvent] = []
        kept.reserveCapacity(waiting.count)
        for event in waiting {
            let key = event.downloadID
            if inFlight.count < concurrency, !busy.contains(key), !blocked.contains(key) {
                busy.insert(key)
                inFlight[event.sequence] = key
                started.append(event)
            } else {
                // A later event of the same download must wait for this one.
                blocked.insert(key)
                kept.append(event)
            }
        }
        if !started.isEmpty { waiting = kept }
        return started
    }

    /// An event is done with: delivered, or failed for good.
    mutating func finish(_ sequence: Int64) {
        guard let key = inFlight.removeValue(forKey: sequence) else { return }
        busy.remove(key)
    }

    /// Every event up to here is done with or not for this target: where deliveries resume.
    var deliveredThrough: Int64 {
        let oldest = [waiting.first?.sequence, inFlight.keys.min()].compactMap { $0 }.min()
        return oldest.map { $0 - 1 } ?? readThrough
    }

    var pending: Int { waiting.count + inFlight.count }
}
