import CoreMetrics
import Foundation
import Metrics
import Synchronization

/// The aria2 adapter's metrics: RPC calls, latency and errors per method, WebSocket reconnects,
/// notifications by type, and how many downloads aria2 reports active.
final class Aria2Metrics: Sendable {
    private let factory: any MetricsFactory
    private let perMethod = Mutex<[String: (calls: Counter, errors: Counter, latency: Metrics.Timer)]>([:])
    private let perNotification = Mutex<[String: Counter]>([:])
    let reconnects: Counter
    let active: Gauge

    init(factory: any MetricsFactory) {
        self.factory = factory
        reconnects = Counter(label: "torrus_aria2_websocket_reconnects_total", factory: factory)
        active = Gauge(label: "torrus_aria2_active_downloads", factory: factory)
    }

    func recordCall(_ method: String, duration: Duration, failed: Bool) {
        let metrics = perMethod.withLock { cache in
            if let metrics = cache[method] { return metrics }
            let dimensions = [("method", method)]
            let metrics = (
                calls: Counter(label: "torrus_aria2_rpc_calls_total", dimensions: dimensions, factory: factory),
                errors: Counter(label: "torrus_aria2_rpc_errors_total", dimensions: dimensions, factory: factory),
                latency: Metrics.Timer(label: "torrus_aria2_rpc_duration", dimensions: dimensions, factory: factory)
            )
            cache[method] = metrics
            return metrics
        }
        metrics.calls.increment()
        if failed { metrics.errors.increment() }
        metrics.latency.recordNanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func recordNotification(_ kind: Aria2Notification.Kind) {
        let counter = perNotification.withLock { cache in
            if let counter = cache[kind.rawValue] { return counter }
            let counter = Counter(label: "torrus_aria2_notifications_total", dimensions: [("type", kind.rawValue)], factory: factory)
            cache[kind.rawValue] = counter
            return counter
        }
        counter.increment()
    }
}
