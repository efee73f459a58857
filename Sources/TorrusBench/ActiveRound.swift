import Foundation

/// torrusd's own cost with many active downloads, measured from outside its process (the
/// in-process RPC round counts the bench's client too): `count` throttled downloads from the
/// bench's file server, all Active in the API, then torrusd's CPU (from /proc), RSS and aria2
/// calls per second (from its /metrics) over `seconds`.
struct ActiveRound {
    let client: BenchHTTPClient
    let port: Int
    let pid: Int32
    let count: Int
    let seconds: Int
    let rate: Int

    struct Figures {
        var count = 0
        var cpuPercent = 0.0
        var rssKiB = 0
        var rpcPerSecond = 0.0
    }

    func run() async throws -> Figures {
        let directory = try TempDirectory()
        defer { directory.remove() }
        let peers = try TestPeersServer.start(root: try directory.subdirectory("static"), logFile: directory.path + "/testpeers.log")
        defer { peers.stop() }
        Output.note("active: creating \(count) downloads throttled to \(rate) B/s in torrusd")
        for index in 0..<count {
            try Interrupt.check()
            _ = try await client.create(source: "http://127.0.0.1:\(peers.port)/files/active-\(index).bin?size=\(64 << 20)&rate=\(rate)")
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while try await client.list().count(where: { $0.status == "Active" }) < count {
            guard ContinuousClock.now < deadline else { throw BenchError.timeout("\(count) downloads to be Active in torrusd") }
            try await Task.sleep(for: .milliseconds(500))
        }
        // Let the creates' own work (hand-overs, first polls) settle before sampling.
        try await Task.sleep(for: .seconds(2))
        let metricsBefore = try metrics()
        let cpuBefore = ProcessStats.cpuTime(pid: pid)
        let started = ContinuousClock.now
        try await Task.sleep(for: .seconds(seconds))
        let elapsed = (ContinuousClock.now - started).seconds
        let cpuAfter = ProcessStats.cpuTime(pid: pid)
        let metricsAfter = try metrics()
        var figures = Figures(count: count)
        if let cpuBefore, let cpuAfter { figures.cpuPercent = (cpuAfter - cpuBefore).seconds / elapsed * 100 }
        figures.rssKiB = ProcessStats.residentKiB(pid: "\(pid)") ?? 0
        figures.rpcPerSecond = RPCActivity(from: metricsBefore, to: metricsAfter).total / elapsed
        return figures
    }

    private func metrics() throws -> PrometheusSnapshot {
        PrometheusSnapshot.parse(try HTTPBench.run("curl", ["-s", "http://127.0.0.1:\(port)/metrics"]))
    }
}

extension ActiveRound.Figures {
    func print() {
        Output.line(
            "torrusd (own process) with \(count) active downloads: CPU \(fixed(cpuPercent)) % of one core,"
                + " RSS \(rssKiB / 1024) MiB, aria2 RPC \(fixed(rpcPerSecond)) calls/s (target CPU <= 5 %: \(cpuPercent <= 5 ? "met" : "MISSED"))"
        )
    }
}
