import Foundation
import Hummingbird
import Logging
import Torrus

/// The figures a client sees, measured from outside as issue 7's table has them: a release
/// torrusd (its own aria2c, the SQLite store) under `wrk -t2 -c32 -d10s`, next to a bare
/// Hummingbird route in this process that returns a fixed 480-byte body (the framework's own
/// ceiling on this machine). `GET /v1/downloads/{id}` and the unpaged list of 1000, and
/// torrusd's resident memory idle and with 1000 downloads.
struct HTTPBench {
    let runs: Int
    let downloads: Int
    let seconds: Int
    /// Active downloads of the closing round (`ActiveRound`), throttled to `rate` bytes/s.
    let active: Int
    let rate: Int
    /// How long the active round samples torrusd.
    let window: Int

    struct Figures {
        var bare: [Double] = []
        var one: [Double] = []
        var list: [Double] = []
        var oneLatencyP50: [Double] = []
        var listBytes = 0
        var rssIdleKiB = 0
        var rssLoadedKiB = 0
        var anonIdleKiB = 0
        var anonLoadedKiB = 0
        var active: ActiveRound.Figures?
    }

    func run() async throws -> Figures {
        let torrusd = try Self.siblingExecutable("torrusd")
        guard Self.onPath("wrk") else { throw BenchError.setup("wrk is not on PATH (Debian: apt-get install wrk)") }
        var figures = Figures()

        let barePort = try Aria2Process.freeLoopbackPort()
        let bare = Task { try await Self.bareServer(port: barePort) }
        defer { bare.cancel() }
        try await Self.waitForHTTP("http://127.0.0.1:\(barePort)/bare")

        let directory = try TempDirectory()
        defer { directory.remove() }
        let port = try Aria2Process.freeLoopbackPort()
        let token = "bench-\(UUID().uuidString)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: torrusd)
        process.environment = ProcessInfo.processInfo.environment.merging([
            "TORRUS_API_TOKEN": token, "TORRUS_DATA_DIR": directory.path, "TORRUS_LISTEN": "127.0.0.1:\(port)",
            // As in the in-process rounds: the bench measures serving, not its own logging.
            "LOG_LEVEL": "warning",
            // aria2's default of 5 at a time would leave the active round's downloads waiting.
            "TORRUS_ARIA2C_ARGS": "--max-concurrent-downloads=\(max(active, 5))",
        ]) { _, new in new }
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try process.run() } catch { throw BenchError.setup("cannot start \(torrusd): \(error)") }
        defer {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        let client = BenchHTTPClient(port: port, token: token)
        defer { client.shutdown() }
        try await Self.waitForHTTP("http://127.0.0.1:\(port)/readyz")
        // Let startup settle (the first resync, the managed aria2c's first answers).
        try await Task.sleep(for: .seconds(2))
        figures.rssIdleKiB = ProcessStats.residentKiB(pid: "\(process.processIdentifier)") ?? 0
        figures.anonIdleKiB = ProcessStats.anonymousKiB(pid: "\(process.processIdentifier)") ?? 0

        Output.note("creating \(downloads) paused downloads in torrusd")
        var first: String?
        for index in 0..<downloads {
            // Paused: aria2 holds them without connecting, so the store is what is measured.
            let created = try await client.create(source: "http://127.0.0.1:9/bench-\(index).bin", desiredStatus: "Paused")
            if first == nil { first = created.id }
        }
        guard let id = first else { throw BenchError.check("no download was created") }
        try await Task.sleep(for: .seconds(1))
        figures.rssLoadedKiB = ProcessStats.residentKiB(pid: "\(process.processIdentifier)") ?? 0
        figures.anonLoadedKiB = ProcessStats.anonymousKiB(pid: "\(process.processIdentifier)") ?? 0
        figures.listBytes = try await client.listBytes()

        let auth = "Authorization: Bearer \(token)"
        for run in 1...runs {
            Output.note("wrk run \(run) of \(runs)")
            figures.bare.append(try Self.wrk("http://127.0.0.1:\(barePort)/bare", seconds: seconds).requestsPerSecond)
            let one = try Self.wrk("http://127.0.0.1:\(port)/v1/downloads/\(id)", header: auth, seconds: seconds)
            figures.one.append(one.requestsPerSecond)
            figures.oneLatencyP50.append(one.p50Milliseconds)
            figures.list.append(try Self.wrk("http://127.0.0.1:\(port)/v1/downloads", header: auth, seconds: seconds).requestsPerSecond)
        }
        if active > 0 {
            figures.active = try await ActiveRound(
                client: client,
                port: port,
                pid: process.processIdentifier,
                count: active,
                // At least one whole resync period (30 s): a shorter window catches the sweep or
                // not, and its figure jumps by two points between runs.
                seconds: max(window, 30),
                rate: rate
            ).run()
        }
        return figures
    }

    // MARK: wrk

    struct WrkResult {
        var requestsPerSecond: Double
        var p50Milliseconds: Double
        /// The 99th percentile of wrk's latency distribution (`--latency`).
        var p99Milliseconds: Double
        /// Requests wrk gave up on after its `--timeout` (only counted when `timeout` was given).
        var timeouts = 0
    }

    /// `wrk -t2 -c32 -d<seconds>s --latency`; fails when wrk reports non-2xx answers or errors.
    /// With `timeout`, wrk waits that long for an answer (its default is 2 s) and requests still
    /// unanswered then are counted, not a failure: a slow page is a figure too.
    static func wrk(
        _ url: String,
        header: String? = nil,
        seconds: Int,
        threads: Int = 2,
        connections: Int = 32,
        timeout: Int? = nil
    ) throws -> WrkResult {
        var arguments = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let timeout { arguments.append("--timeout=\(timeout)s") }
        if let header { arguments += ["-H", header] }
        arguments.append(url)
        let output = try run("wrk", arguments)
        let errors = output.split(separator: "\n").first { $0.contains("Socket errors") }
        let onlyTimeouts = errors.map { $0.contains("connect 0, read 0, write 0,") } ?? true
        if output.contains("Non-2xx or 3xx responses") || (errors != nil && (timeout == nil || !onlyTimeouts)) {
            throw BenchError.check("wrk saw failed requests on \(url):\n\(output)")
        }
        let timeouts = errors.flatMap { $0.split(separator: "timeout ").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } } ?? 0
        guard let rate = value(after: "Requests/sec:", in: output) else { throw BenchError.check("no Requests/sec in wrk's output:\n\(output)") }
        func percentile(_ label: String) -> Double {
            output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }
                .flatMap { line in line.split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) }
                .map(milliseconds) ?? 0
        }
        return WrkResult(requestsPerSecond: rate, p50Milliseconds: percentile("50%"), p99Milliseconds: percentile("99%"), timeouts: timeouts)
    }

    /// wrk prints latencies as `812.00us`, `1.23ms` or `1.01s`.
    private static func milliseconds(_ text: String) -> Double {
        for (suffix, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0)] where text.hasSuffix(suffix) {
            return (Double(text.dropLast(suffix.count)) ?? 0) * factor
        }
        return 0
    }

    private static func value(after label: String, in output: String) -> Double? {
        guard let line = output.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
        return line.split(separator: " ").last.flatMap { Double($0) }
    }

    // MARK: helpers

    /// A route that does nothing but answer: the framework's ceiling for the same load.
    private static func bareServer(port: Int) async throws {
        let body = String(repeating: "x", count: 480)
        let router = Router()
        router.get("bare") { _, _ in body }
        var logger = Logger(label: "bare")
        // Stopped by cancelling its task, which Hummingbird reports as an error: not one here.
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }

    static func waitForHTTP(_ url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let output = try? run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", url]), output == "200" { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError.timeout("\(url) to answer 200")
    }

    /// Runs a command to completion; its standard output.
    @discardableResult
    static func run(_ command: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    private static func onPath(_ command: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/\(command)")
        }
    }

    /// torrusd from the same build as this bench (`swift build -c release` builds both).
    static func siblingExecutable(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchError.setup("\(path) is missing: build it first with `swift build -c release`")
        }
        return path
    }
}

extension HTTPBench.Figures {
    func print() {
        func summary(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return "\(Int(sorted[sorted.count / 2].rounded())) [\(Int(sorted.first!.rounded()))–\(Int(sorted.last!.rounded()))]"
        }
        let bareMedian = bare.sorted()[bare.count / 2]
        let oneMedian = one.sorted()[one.count / 2]
        Output.line("== HTTP, wrk -t2 -c32, \(bare.count) run(s): median [min–max] req/s")
        Output.line("bare Hummingbird route (480 B):        \(summary(bare))")
        Output.line(
            "GET /v1/downloads/{id}:                \(summary(one)) (\(Int((oneMedian / bareMedian * 100).rounded())) % of bare;"
                + " p50 latency \(String(format: "%.2f", oneLatencyP50.sorted()[oneLatencyP50.count / 2])) ms)"
        )
        Output.line("GET /v1/downloads (\(listBytes / 1000) KB):           \(summary(list))")
        Output.line(
            "torrusd RSS idle / with the downloads: \(rssIdleKiB / 1024) / \(rssLoadedKiB / 1024) MiB"
                + " (anonymous: \(anonIdleKiB / 1024) / \(anonLoadedKiB / 1024) MiB; the rest is shared code pages)"
        )
        active?.print()
    }
}
