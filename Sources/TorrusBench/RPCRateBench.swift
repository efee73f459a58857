import Foundation
import Torrus

/// aria2 RPC calls per second Torrus makes in a steady state with N active downloads, plus this
/// process's CPU and RSS meanwhile. The calls come from `torrus_aria2_rpc_calls_total` in the
/// registry Torrus records into, sampled at both ends of the window.
struct RPCRateBench {
    struct Round {
        let active: Int
        let window: Duration
        let calls: RPCActivity
        let callsWhileCreating: Double
        /// From the last create to all of them Active in Torrus.
        let allActiveAfter: Duration
        let selfCPUPercent: Double
        let aria2CPUPercent: Double?
        let peersCPUPercent: Double?
        let residentKiB: Int?
        let feedChangesPerSecond: Double

        var callsPerSecond: Double { calls.total / window.seconds }
    }

    let environment: BenchEnvironment

    func run(active count: Int) async throws -> Round {
        let options = environment.options
        let client = environment.client
        let before = PrometheusSnapshot.read(environment.registry)
        Output.note(
            "rpc: creating \(count) downloads of \(options.activeSize >> 20) MiB throttled to \(options.rateBytesPerSecond) B/s"
        )
        var ids: [UUID] = []
        var apiIDs: [String] = []
        do {
            for index in 0..<count {
                try Interrupt.check()
                try environment.checkTorrusRunning()
                let source = environment.source(name: "active-\(count)-\(index).bin", size: options.activeSize, rate: options.rateBytesPerSecond)
                let download = try await client.create(source: source)
                guard let id = UUID(uuidString: download.id) else { throw BenchError.check("'\(download.id)' is not a UUID") }
                ids.append(id)
                apiIDs.append(download.id)
            }
            let round = try await measure(ids: ids, apiIDs: apiIDs, before: before)
            // Printed before the clean-up, so a failing deletion does not lose the figures.
            round.print(pollMilliseconds: options.pollMilliseconds)
            try await delete(apiIDs, ids: ids)
            return round
        } catch {
            // Leave no throttled transfer behind for the next round or the shutdown.
            for id in apiIDs { try? await client.delete(id) }
            throw error
        }
    }

    private func measure(ids: [UUID], apiIDs: [String], before: PrometheusSnapshot) async throws -> Round {
        let options = environment.options
        let tracker = environment.tracker
        let count = ids.count
        let waitStarted = ContinuousClock.now
        // aria2 starts each one at once (--max-concurrent-downloads=600); Torrus learns of it
        // from onDownloadStart and its tellStatus. 100 ms per download leaves room for the file
        // server's accept backlog on the 500 round.
        try await waitUntil(
            "all \(count) downloads Active in Torrus",
            timeout: .seconds(60) + .milliseconds(100 * count),
            interval: .milliseconds(100),
            progress: { tracker.summary(of: ids) }
        ) {
            try environment.checkTorrusRunning()
            return tracker.count(.active, among: ids) == count
        }
        let allActiveAfter = ContinuousClock.now - waitStarted
        let listed = try await environment.client.list()
        let wanted = Set(apiIDs)
        let activeInAPI = listed.count(where: { wanted.contains($0.id) && $0.status == "Active" })
        guard activeInAPI == count else {
            throw BenchError.check("GET /v1/downloads lists \(activeInAPI) of the \(count) downloads as Active; the change feed said all")
        }

        // Let the start-up traffic drain (the last notifications' tellStatus calls, the first
        // progress polls) so the window sees the steady state only.
        let settle = max(Duration.seconds(2), .milliseconds(2 * options.pollMilliseconds))
        try await pause(settle)
        let created = PrometheusSnapshot.read(environment.registry)

        let pids = [environment.aria2.pid, environment.peers.pid]
        let window = Duration.seconds(options.windowSeconds)
        let changesBefore = tracker.changes
        let start = CPUSample.now(others: pids)
        try await pause(window)
        let end = CPUSample.now(others: pids)
        let after = PrometheusSnapshot.read(environment.registry)
        let changes = tracker.changes - changesBefore
        let elapsed = end.started - start.started

        // Still all active? A download that finished or failed mid-window would make the round
        // measure fewer than it claims.
        let stillActive = tracker.count(.active, among: ids)
        guard stillActive == count else {
            throw BenchError.check("only \(stillActive) of \(count) downloads were still Active after the window (\(tracker.summary(of: ids)))")
        }
        return Round(
            active: count,
            window: elapsed,
            calls: RPCActivity(from: created, to: after),
            callsWhileCreating: RPCActivity(from: before, to: created).total,
            allActiveAfter: allActiveAfter,
            selfCPUPercent: start.selfPercent(until: end),
            aria2CPUPercent: start.percent(of: pids[0], until: end),
            peersCPUPercent: start.percent(of: pids[1], until: end),
            residentKiB: ProcessStats.residentKiB(),
            feedChangesPerSecond: Double(changes) / elapsed.seconds
        )
    }

    private func delete(_ apiIDs: [String], ids: [UUID]) async throws {
        Output.note("rpc: deleting the \(apiIDs.count) downloads (and their files)")
        for id in apiIDs { try await environment.client.delete(id) }
        let listed = try await environment.client.list()
        let wanted = Set(apiIDs)
        let left = listed.count(where: { wanted.contains($0.id) })
        guard left == 0 else { throw BenchError.check("GET /v1/downloads still lists \(left) of the \(apiIDs.count) deleted downloads") }
        let tracker = environment.tracker
        try await waitUntil(
            "all \(ids.count) deletions seen on the change feed",
            timeout: .seconds(30),
            progress: {
                "\(tracker.known(among: ids)) not seen deleted: \(tracker.summary(of: ids))"
            }
        ) {
            tracker.known(among: ids) == 0
        }
    }
}

extension RPCRateBench.Round {
    func print(pollMilliseconds: Int) {
        Output.line(
            "== aria2 RPC rate with \(active) active downloads (window \(fixed(window.seconds, 1)) s, poll \(pollMilliseconds) ms)"
        )
        // The 2/s target is stated for the default poll interval; at another one, one tellActive
        // per interval is what the design promises.
        let verdict =
            pollMilliseconds == 1000
            ? "target <= 2/s: \(callsPerSecond <= 2 ? "met" : "MISSED")"
            : "one poll per interval would be \(fixed(1000 / Double(pollMilliseconds))) /s; the 2/s target is for 1000 ms"
        Output.line("   \(fixed(callsPerSecond)) calls/s   (\(verdict))")
        for (method, count) in calls.calls.sorted(by: { $0.key < $1.key }) {
            let mean = calls.meanSeconds[method].map { ", mean \(fixed($0 * 1000)) ms each" } ?? ""
            Output.line("     \(method): \(fixed(count / window.seconds)) /s (\(Int(count)) calls\(mean))")
        }
        Output.line(
            "   calls while creating the \(active) and waiting for Active: \(Int(callsWhileCreating));"
                + " all Active \(fixed(allActiveAfter.seconds, 1)) s after the last create"
        )
        let rss = residentKiB.map { "\(fixed(Double($0) / 1024, 1)) MiB" } ?? "n/a"
        Output.line("   this process (Torrus + bench client): CPU \(fixed(selfCPUPercent, 1)) % of one core, RSS \(rss)")
        Output.line(
            "   alongside: aria2c CPU \(aria2CPUPercent.map { fixed($0, 1) } ?? "n/a") %, testpeers.py CPU \(peersCPUPercent.map { fixed($0, 1) } ?? "n/a") %;"
                + " change feed \(fixed(feedChangesPerSecond, 0)) changes/s"
        )
    }
}
