import Logging
import Metrics
import Synchronization

/// Counts the open HTTP connections across all event loops and decides whether one more may be
/// served. Exposes `torrus_http_open_connections` (a gauge) and
/// `torrus_http_connections_rejected_total` (connections answered 503 because of the cap).
final class ConnectionCap: Sendable {
    let maximum: Int
    private let count = Atomic<Int>(0)
    /// Set while connections are being turned away, so the warning is logged once per episode.
    private let saturated = Atomic<Bool>(false)
    private let openGauge: Meter
    private let rejected: Counter
    private let logger: Logger

    init(maximum: Int, factory: any MetricsFactory, logger: Logger) {
        self.maximum = maximum
        openGauge = Meter(label: "torrus_http_open_connections", factory: factory)
        rejected = Counter(label: "torrus_http_connections_rejected_total", factory: factory)
        self.logger = logger
        openGauge.set(0)
    }

    /// The configured maximum, lowered (with a warning) to what the descriptor limit leaves room for.
    convenience init(configured: Int, descriptors: FileDescriptorLimit?, factory: any MetricsFactory, logger: Logger) {
        let capacity = descriptors?.connectionCapacity() ?? .max
        if capacity < configured {
            logger.warning(
                "The open file limit leaves room for fewer connections than configured",
                metadata: ["TORRUS_HTTP_MAX_CONNECTIONS": "\(configured)", "maximum": "\(capacity)"]
            )
        }
        self.init(maximum: min(configured, capacity), factory: factory, logger: logger)
    }

    /// The connections open now.
    var open: Int { count.load(ordering: .relaxed) }

    /// Takes a place for a new connection if one is free; `release()` gives it back.
    func admit() -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < maximum {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged {
                openGauge.increment()
                if saturated.load(ordering: .relaxed) { saturated.store(false, ordering: .relaxed) }
                return true
            }
            current = original
        }
        rejected.increment()
        if !saturated.exchange(true, ordering: .relaxed) {
            logger.warning("Too many open HTTP connections: answering new ones 503", metadata: ["maximum": "\(maximum)"])
        }
        return false
    }

    func release() {
        count.subtract(1, ordering: .relaxed)
        openGauge.decrement()
    }
}
