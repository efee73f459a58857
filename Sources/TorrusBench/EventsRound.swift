import Foundation
import Glibc
import Torrus

/// Issue 8, item 5: `GET /v1/events` fan-out, measured from outside the server. A release
/// torrusd started as the HTTP round starts it (its own aria2c, SQLite in a temporary directory,
/// `LOG_LEVEL=warning`), `active` throttled downloads from the bench's file server so that
/// progress events flow all the time (one per download per aria2 poll), and `subscribers`
/// event streams (`BenchSSEClient`). Over the window: commit → receipt latency per delivery and
/// per event until the last subscriber had it, events per second, torrusd's CPU and memory,
/// and streams dropped. Then SIGTERM with the streams open, to see how they end.
struct EventsRound {
    let subscribers: Int
    let active: Int
    let seconds: Int
    let rate: Int
    let size: Int
    let pollMilliseconds: Int
    /// Before the subscribers connect, torrusd's CPU with the same downloads: what the fan-out adds.
    var baselineSeconds = 10

    init(options: BenchOptions) {
        subscribers = options.eventSubscribers
        active = options.eventActive
        seconds = options.eventSeconds
        rate = options.rateBytesPerSecond
        size = options.activeSize
        pollMilliseconds = options.pollMilliseconds
    }

    func run() async throws -> Figures {
        let torrusd = try HTTPBench.siblingExecutable("torrusd")
        let directory = try TempDirectory()
        defer { directory.remove() }
        let peers = try TestPeersServer.start(root: try directory.subdirectory("static"), logFile: directory.path + "/testpeers.log")
        defer { peers.stop() }
        let port = try Aria2Process.freeLoopbackPort()
        let token = "bench-\(UUID().uuidString)"
        let logFile = directory.path + "/torrusd.log"
        let process = try startTorrusd(torrusd, data: try directory.subdirectory("data"), port: port, token: token, logFile: logFile)
        defer { BenchTorrusd.stop(process) }
        let client = BenchHTTPClient(port: port, token: token)
        defer { client.shutdown() }
        do {
            try await HTTPBench.waitForHTTP("http://127.0.0.1:\(port)/readyz")
            return try await measure(process: process, client: client, port: port, token: token, peersPort: peers.port)
        } catch {
            BenchTorrusd.printLog(logFile)
            throw error
        }
    }

    private func measure(process: Process, client: BenchHTTPClient, port: Int, token: String, peersPort: Int) async throws -> Figures {
        let pid = process.processIdentifier
        var figures = Figures(subscribers: subscribers, active: active, rate: rate)
        Output.note("events: creating \(active) downloads throttled to \(rate) B/s in torrusd")
        for index in 0..<active {
            try Interrupt.check()
            _ = try await client.create(source: "http://127.0.0.1:\(peersPort)/files/events-\(index).bin?size=\(size)&rate=\(rate)")
        }
        try await waitUntil("\(active) downloads to be Active in torrusd", timeout: .seconds(120), interval: .milliseconds(500)) {
            try BenchTorrusd.check(process, during: "events")
            return try await client.list().count(where: { $0.status == "Active" }) >= active
        }
        // Let the creates' own work (hand-overs, first polls) settle, then the same load without
        // subscribers, for comparison.
        try await pause(.seconds(2))
        let baselineBefore = ProcessStats.cpuTime(pid: pid)
        let baselineStarted = ContinuousClock.now
        try await pause(.seconds(baselineSeconds))
        if let baselineBefore, let after = ProcessStats.cpuTime(pid: pid) {
            figures.baselineCPUPercent = (after - baselineBefore).seconds / (ContinuousClock.now - baselineStarted).seconds * 100
        }
        figures.rssBeforeKiB = ProcessStats.residentKiB(pid: "\(pid)") ?? 0
        figures.anonBeforeKiB = ProcessStats.anonymousKiB(pid: "\(pid)") ?? 0

        Output.note("events: connecting \(subscribers) subscribers to GET /v1/events")
        let streams = try BenchSSEClient.connect(port: port, token: token, subscribers: subscribers)
        do {
            try await window(streams, process: process, figures: &figures)
        } catch {
            _ = await streams.stop()
            throw error
        }
        return figures
    }

    /// From the streams' opening to torrusd's exit; fills `figures`.
    private func window(_ streams: BenchSSEClient, process: Process, figures: inout Figures) async throws {
        let control = streams.control
        let pid = process.processIdentifier
        try await waitUntil(
            "\(subscribers) event streams to open",
            timeout: .seconds(30),
            progress: { "\(control.streaming.load(ordering: .relaxed)) streaming" }
        ) {
            try BenchTorrusd.check(process, during: "events")
            let problems = control.problems.withLock { $0 }
            let streaming = control.streaming.load(ordering: .relaxed)
            if !problems.isEmpty, streaming + problems.count >= subscribers {
                throw BenchError.check(
                    "GET /v1/events: \(problems.count) of \(subscribers) streams were refused or failed (first: \(problems[0]));"
                        + " \(streaming) streamed"
                )
            }
            return streaming == subscribers
        }
        // Let the subscriptions' first events (and any catch-up) pass before sampling.
        try await pause(.seconds(2))

        Output.note("events: sampling \(seconds) s")
        let windowStart = WallClock.now()
        // Kept from 5 s earlier: a coalesced progress event is sent up to ~1 s after its commit.
        control.recordFrom.store(windowStart - 5_000_000, ordering: .relaxed)
        let torrusBefore = ProcessStats.cpuTime(pid: pid)
        let threadsBefore = ThreadCPU.sample(pid: pid)
        let benchBefore = ProcessStats.selfCPUTime()
        let started = ContinuousClock.now
        let end = started + .seconds(seconds)
        while ContinuousClock.now < end {
            try await pause(min(.seconds(1), end - ContinuousClock.now))
            try BenchTorrusd.check(process, during: "events")
            figures.rssPeakKiB = max(figures.rssPeakKiB, ProcessStats.residentKiB(pid: "\(pid)") ?? 0)
            figures.anonPeakKiB = max(figures.anonPeakKiB, ProcessStats.anonymousKiB(pid: "\(pid)") ?? 0)
        }
        let windowEnd = WallClock.now()
        let elapsed = (ContinuousClock.now - started).seconds
        if let torrusBefore, let after = ProcessStats.cpuTime(pid: pid) { figures.cpuPercent = (after - torrusBefore).seconds / elapsed * 100 }
        figures.benchCPUPercent = (ProcessStats.selfCPUTime() - benchBefore).seconds / elapsed * 100
        figures.busiestThreads = ThreadCPU.busiest(from: threadsBefore, to: ThreadCPU.sample(pid: pid), seconds: elapsed)
        figures.rssKiB = ProcessStats.residentKiB(pid: "\(pid)") ?? 0
        figures.anonKiB = ProcessStats.anonymousKiB(pid: "\(pid)") ?? 0
        figures.seconds = elapsed
        // Time for the window's last events to reach every stream; their figures count.
        try await pause(.seconds(2))
        try BenchTorrusd.check(process, during: "events")

        // SIGTERM with every stream open: how soon they end, and whether torrusd waits for them.
        figures.openAtShutdown = subscribers - control.finished.load(ordering: .relaxed)
        control.shuttingDown.store(true, ordering: .relaxed)
        let signalled = ContinuousClock.now
        process.terminate()
        let streamsDeadline = signalled + .seconds(10)
        while control.finished.load(ordering: .relaxed) < subscribers, ContinuousClock.now < streamsDeadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        if control.finished.load(ordering: .relaxed) == subscribers { figures.streamsEndedAfter = ContinuousClock.now - signalled }
        let log = await streams.stop()
        // torrusd stops its managed aria2c within ~3 s (SIGTERM, then SIGKILL): 10 s is plenty.
        let exitDeadline = signalled + .seconds(10)
        while process.isRunning, ContinuousClock.now < exitDeadline { try await Task.sleep(for: .milliseconds(5)) }
        if process.isRunning {
            // Ours, by PID, not reaped yet (still running), so not recycled.
            kill(pid, SIGKILL)
            process.waitUntilExit()
        } else {
            figures.exitedAfter = ContinuousClock.now - signalled
        }
        figures.analyse(log, from: windowStart, to: windowEnd)
    }

    private func startTorrusd(_ executable: String, data: String, port: Int, token: String, logFile: String) throws -> Process {
        try BenchTorrusd.start(
            executable,
            data: data,
            port: port,
            token: token,
            logFile: logFile,
            environment: [
                "ARIA2_POLL_MS": "\(pollMilliseconds)",
                // aria2's default of 5 at a time would leave most downloads waiting, with no progress.
                "TORRUS_ARIA2C_ARGS": "--max-concurrent-downloads=\(max(active, 5))",
                // Its default cap (100) would answer the 101st subscriber 429; some room for probes.
                "TORRUS_EVENTS_MAX_STREAMS": "\(subscribers + 16)",
            ]
        )
    }
}
