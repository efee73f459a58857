import Foundation
import Torrus

extension ListRound {
    struct Figures: Sendable {
        let runs: Int
        let seconds: Int

        init(runs: Int, seconds: Int) {
            self.runs = runs
            self.seconds = seconds
        }

        /// Issue 9's p99 target at a store of `size` downloads (none for other sizes).
        static func target(_ size: Int) -> Double? {
            switch size {
            case 10_000: 10
            case 100_000: 20
            default: nil
            }
        }

        func printHeader() {
            Output.line(
                "== List pages (issue 9): wrk -t2 -c32 -d\(seconds)s --latency --timeout=30s, \(runs) run(s) per filter, release noop torrusd,"
                    + " SQLite; median [min–max] over the runs"
            )
        }
    }

    struct Size: Sendable {
        let size: Int
        let seed: ListSeed.Summary
        var databaseBytes = 0
        var measurements: [Measurement] = []
        var rssKiB = 0
        var statusesUnchanged = false

        init(size: Int, seed: ListSeed.Summary) {
            self.size = size
            self.seed = seed
        }

        func print() {
            let statuses = DownloadStatus.allCases.map { "\($0.rawValue) \(seed.byStatus[$0] ?? 0)" }.joined(separator: ", ")
            Output.line(
                "   \(size) downloads (\(statuses); seeded in \(fixed(seed.seconds, 1)) s, \(databaseBytes / 1_000_000) MB file;"
                    + " torrusd RSS \(rssKiB / 1024) MiB after)"
            )
            if !statusesUnchanged { Output.line("   WARNING: the store's statuses changed while torrusd ran: the pages were not the seeded ones") }
            let target = Figures.target(size)
            Output.line(
                "   " + pad("filter", 22) + pad("matching", 9, right: true) + pad("items", 6, right: true) + pad("bytes", 8, right: true)
                    + "   p50 ms              p99 ms               req/s                torrusd CPU  -c1 p50/p99  target"
            )
            for measurement in measurements {
                let p50 = measurement.runs.map(\.p50Milliseconds)
                let p99 = measurement.runs.map(\.p99Milliseconds)
                let rates = measurement.runs.map(\.requestsPerSecond)
                let timeouts = measurement.runs.reduce(0) { $0 + $1.timeouts }
                let verdict: String
                if let target {
                    let met = p99.count(where: { $0 <= target })
                    verdict =
                        met == p99.count ? "p99 ≤ \(Int(target)) ms: met" : "p99 ≤ \(Int(target)) ms: MISSED in \(p99.count - met) of \(p99.count)"
                } else {
                    verdict = "-"
                }
                Output.line(
                    "   " + pad(measurement.label, 22) + pad(measurement.matching.map(String.init) ?? "all", 9, right: true)
                        + pad(String(measurement.items), 6, right: true) + pad(String(measurement.bytes), 8, right: true)
                        + "   " + pad(summary(p50, 2), 20) + pad(summary(p99, 2), 21) + pad(summary(rates, 0), 21)
                        + pad(summary(measurement.cpuPercent, 0) + " %", 13)
                        + pad(measurement.alone.map { "\(fixed($0.p50Milliseconds))/\(fixed($0.p99Milliseconds))" } ?? "n/a", 13) + verdict
                        + (timeouts > 0 ? " (\(timeouts) requests unanswered after 30 s)" : "")
                )
            }
        }
    }
}

/// `median [min–max]`.
private func summary(_ values: [Double], _ digits: Int) -> String {
    guard !values.isEmpty else { return "n/a" }
    let sorted = values.sorted()
    return "\(fixed(sorted[sorted.count / 2], digits)) [\(fixed(sorted.first!, digits))–\(fixed(sorted.last!, digits))]"
}

private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}
