import Foundation

/// At most one `download.progress` event per download per second (of commit time) on a stream:
/// one coalescer decides for every live stream (`EventStreams`), and each replay from the log has
/// its own. A progress event committed in a second that already had one is held back — a later one
/// replaces it — and sent once that second is over (`due`), so a client never keeps a stale value.
/// Seconds of commit time, not of sending: with the default 1 s poll, one progress a second is
/// what is committed, and the varying time a stream takes to send must not hold half of them back.
/// A status, created or deleted event of the download drops what is held (the whole download, or
/// its end, supersedes it); a meta event sends it first, so the client sees changes in order.
///
/// A held-back event goes out after newer events, so it goes without an `id:` (`EventFrame`).
struct ProgressCoalescer {
    enum Output: Equatable {
        /// Send with its id.
        case now(LoggedEvent)
        /// Send without an id: newer events went out already.
        case late(LoggedEvent)
    }

    /// Per download, the second of the last progress event sent.
    private var lastSecond: [UUID: Int64] = [:]
    private var held: [UUID: LoggedEvent] = [:]

    var isHolding: Bool { !held.isEmpty }

    mutating func offer(_ event: LoggedEvent) -> [Output] {
        guard let id = event.downloadID else { return [.now(event)] }
        switch event.type {
        case .downloadProgress:
            let second = event.at / 1_000_000
            if let last = lastSecond[id], second <= last {
                held[id] = event
                return []
            }
            lastSecond[id] = second
            held[id] = nil
            return [.now(event)]
        case .downloadMeta:
            guard let earlier = held.removeValue(forKey: id) else { return [.now(event)] }
            return [.late(earlier), .now(event)]
        case .downloadDeleted:
            held[id] = nil
            lastSecond[id] = nil
            return [.now(event)]
        default:
            held[id] = nil
            return [.now(event)]
        }
    }

    /// The held events whose second is over, in the order they were committed.
    mutating func due(nowMicroseconds: Int64) -> [Output] {
        let second = nowMicroseconds / 1_000_000
        var out: [LoggedEvent] = []
        for (id, event) in held where (lastSecond[id] ?? .min) < second {
            out.append(event)
            held[id] = nil
            lastSecond[id] = second
        }
        // Forget downloads that have been quiet for a while, so the map stays small.
        if lastSecond.count > 64 { lastSecond = lastSecond.filter { id, last in held[id] != nil || last >= second - 1 } }
        return out.sorted { $0.sequence < $1.sequence }.map { .late($0) }
    }
}
