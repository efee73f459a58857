import Foundation

/// At most one `download.progress` event per download per `interval` on one stream. A progress
/// event that comes sooner is held back — a later one replaces it — and sent once the interval is
/// over (`due`), so a client never keeps a stale value. A status, created or deleted event of the
/// download drops what is held (the whole download, or its end, supersedes it); a meta event sends
/// it first, so the client sees the changes in order.
///
/// A held-back event goes out after newer events, so it goes without an `id:` (`EventFrame`).
struct ProgressCoalescer {
    enum Output: Equatable {
        /// Send with its id.
        case now(LoggedEvent)
        /// Send without an id: newer events went out already.
        case late(LoggedEvent)
    }

    let interval: Duration
    private var lastSent: [UUID: ContinuousClock.Instant] = [:]
    private var held: [UUID: LoggedEvent] = [:]

    init(interval: Duration = .seconds(1)) {
        self.interval = interval
    }

    var isHolding: Bool { !held.isEmpty }

    mutating func offer(_ event: LoggedEvent, now: ContinuousClock.Instant) -> [Output] {
        guard let id = event.downloadID else { return [.now(event)] }
        switch event.type {
        case .downloadProgress:
            if let last = lastSent[id], now - last < interval {
                held[id] = event
                return []
            }
            lastSent[id] = now
            held[id] = nil
            return [.now(event)]
        case .downloadMeta:
            guard let earlier = held.removeValue(forKey: id) else { return [.now(event)] }
            return [.late(earlier), .now(event)]
        case .downloadDeleted:
            held[id] = nil
            lastSent[id] = nil
            return [.now(event)]
        default:
            held[id] = nil
            return [.now(event)]
        }
    }

    /// The held events whose interval is over, in the order they were committed.
    mutating func due(now: ContinuousClock.Instant) -> [Output] {
        var out: [LoggedEvent] = []
        for (id, event) in held where lastSent[id].map({ now - $0 >= interval }) ?? true {
            out.append(event)
            held[id] = nil
            lastSent[id] = now
        }
        // Forget downloads that have been quiet for an interval, so the map stays small.
        lastSent = lastSent.filter { id, last in held[id] != nil || now - last < interval }
        return out.sorted { $0.sequence < $1.sequence }.map { .late($0) }
    }
}
