import Foundation

extension UploadRound {
    struct Figures: Sendable {
        let count: Int
        let warmup: Int
        var torrentBytes = 0
        var batches: [Batch] = []

        init(count: Int, warmup: Int) {
            self.count = count
            self.warmup = warmup
        }

        func print() {
            Output.line(
                "== Torrent upload (issue 9): \(count) sequential uploads per form after \(warmup) untimed, .torrent of \(torrentBytes) bytes,"
                    + " paused; wall time at the client, ms"
            )
            for batch in batches {
                let latency = Percentiles(batch.latencies)
                let target = UploadRound.targetMilliseconds
                let verdict =
                    batch.server.hasPrefix("torrusd")
                    ? (latency.p(99) <= target ? "p99 ≤ \(Int(target)) ms: met" : "p99 ≤ \(Int(target)) ms: MISSED")
                        + (latency.max > target ? " (\(batch.latencies.count(where: { $0 > target })) over)" : "")
                    : ""
                let cpu = [
                    batch.torrusdCPU.map { "torrusd CPU \(fixed($0, 1)) ms" },
                    batch.aria2CPU.map { "aria2c CPU \(fixed($0, 1)) ms" },
                ].compactMap { $0 }.joined(separator: ", ")
                Output.line(
                    "   \(batch.server), \(batch.form) (\(batch.bodyBytes) B): p50 \(fixed(latency.p(50))) p90 \(fixed(latency.p(90)))"
                        + " p99 \(fixed(latency.p(99))) max \(fixed(latency.max)) mean \(fixed(latency.mean)); \(cpu) per upload  \(verdict)"
                )
            }
        }
    }
}
