import Foundation
import Torrus

/// The event path's store writes alone, without aria2 or HTTP: a SQLite store (in a temporary
/// directory) holding `active` active and `paused` paused downloads, each with one file, and
/// - `flushes` progress flushes: one `update(byGID:)` with new progress for every active download
///   (what the reconciler writes once a second at 500 active);
/// - `sweeps` resync batches: one `update(byGID:)` naming every download with what it already has
///   (what the 30 s sweep costs when nothing changed: lookups, no writes).
/// Prints the CPU time of this process per batch (median and range), which is torrusd's cost of
/// each, minus the reading of aria2's answer.
struct StoreRound {
    var active = 500
    var paused = 1000
    var flushes = 40
    var sweeps = 10

    func run() async throws {
        let directory = try TempDirectory()
        defer { directory.remove() }
        let store = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON)
        defer { try? store.close() }
        var gids: [GID] = []
        for index in 0..<(active + paused) {
            let gid = GID.random()
            let source = "http://127.0.0.1:9/store-round-\(index).bin"
            let file = DownloadFile(path: "/srv/downloads/store-round-\(index).bin", length: 64 << 20, completed: 0, index: 1)
            _ = try await store.insert(
                Download(
                    gid: gid,
                    source: source,
                    targetPath: "/srv/downloads",
                    fingerprint: "store-round-\(index)",
                    name: "store-round-\(index).bin",
                    files: [file],
                    status: index < active ? .active : .paused,
                    desiredStatus: index < active ? .queued : .paused,
                    createdAt: Date()
                )
            )
            gids.append(gid)
        }
        var flushTimes: [Double] = []
        for round in 1...flushes {
            let edits = gids.prefix(active).map { gid in
                GIDEdit(gid) { download in
                    download.progress = DownloadProgress(
                        completedLength: Int64(round) * 2048,
                        totalLength: 64 << 20,
                        downloadSpeed: 2048 + Int64(round % 7),
                        uploadSpeed: 0
                    )
                }
            }
            let before = ProcessStats.selfCPUTime()
            let updates = try await store.update(byGID: edits)
            flushTimes.append((ProcessStats.selfCPUTime() - before).milliseconds)
            guard updates.count == active else { throw BenchError.check("a progress flush changed \(updates.count) of \(active)") }
        }
        var sweepTimes: [Double] = []
        for _ in 1...sweeps {
            let edits = gids.map { gid in GIDEdit(gid) { _ in } }
            let before = ProcessStats.selfCPUTime()
            let updates = try await store.update(byGID: edits)
            sweepTimes.append((ProcessStats.selfCPUTime() - before).milliseconds)
            guard updates.isEmpty else { throw BenchError.check("an unchanged sweep wrote \(updates.count)") }
        }
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return "\(fixed(sorted[sorted.count / 2])) ms [\(fixed(sorted.first!))–\(fixed(sorted.last!))]"
        }
        Output.line("== Store writes of the event path (SQLite, \(active) active + \(paused) paused, CPU time of this process)")
        Output.line("   progress flush of \(active): \(summary(flushTimes)) over \(flushes) flushes")
        Output.line("   unchanged sweep of \(active + paused): \(summary(sweepTimes)) over \(sweeps) sweeps")
    }
}
