import Foundation
import Prometheus

/// One reading of the Prometheus registry Torrus records into (the text `/metrics` serves, read
/// without HTTP), reduced to what the bench uses: each sample's value by metric name and the
/// value of its first label (`method` for the aria2 metrics, `status` for `torrus_downloads`).
/// Timers appear as histograms: `<name>_sum` (seconds) and `<name>_count`.
struct PrometheusSnapshot {
    static let rpcCalls = "torrus_aria2_rpc_calls_total"
    static let rpcDurationSum = "torrus_aria2_rpc_duration_sum"
    static let rpcDurationCount = "torrus_aria2_rpc_duration_count"
    static let downloads = "torrus_downloads"

    /// samples[metric][first label's value]; "(none)" for a sample without labels.
    let samples: [String: [String: Double]]

    static func read(_ registry: PrometheusCollectorRegistry) -> PrometheusSnapshot {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return parse(String(decoding: buffer, as: UTF8.self))
    }

    /// Lines look like `torrus_aria2_rpc_calls_total{method="aria2.tellActive"} 42`; comments
    /// (`# TYPE`) are skipped, and so are histogram buckets (labels after the first are summed over).
    static func parse(_ text: String) -> PrometheusSnapshot {
        var samples: [String: [String: Double]] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            let name = String(series.prefix(while: { $0 != "{" && $0 != " " }))
            guard !name.hasSuffix("_bucket") else { continue }
            var key = "(none)"
            if let start = series.range(of: "=\"") {
                let rest = series[start.upperBound...]
                if let end = rest.firstIndex(of: "\"") { key = String(rest[..<end]) }
            }
            samples[name, default: [:]][key, default: 0] += value
        }
        return PrometheusSnapshot(samples: samples)
    }

    /// The samples of `metric` by the value of their first label.
    func byLabel(_ metric: String) -> [String: Double] {
        samples[metric] ?? [:]
    }
}

/// aria2 RPC calls Torrus made, per method, and their mean duration, between two snapshots.
struct RPCActivity {
    var calls: [String: Double]
    /// Mean seconds per call of each method in the interval (from the duration histogram).
    var meanSeconds: [String: Double]

    var total: Double { calls.values.reduce(0, +) }

    init(from earlier: PrometheusSnapshot, to later: PrometheusSnapshot) {
        func delta(_ metric: String) -> [String: Double] {
            let before = earlier.byLabel(metric)
            var result: [String: Double] = [:]
            for (method, value) in later.byLabel(metric) where value - (before[method] ?? 0) > 0 {
                result[method] = value - (before[method] ?? 0)
            }
            return result
        }
        calls = delta(PrometheusSnapshot.rpcCalls)
        let sums = delta(PrometheusSnapshot.rpcDurationSum)
        let counts = delta(PrometheusSnapshot.rpcDurationCount)
        meanSeconds = counts.reduce(into: [:]) { result, entry in result[entry.key] = (sums[entry.key] ?? 0) / entry.value }
    }
}
