import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import Torrus

/// One run's world, all on 127.0.0.1 in a temporary directory: the file server, an aria2c, and
/// Torrus built in-process with `buildApplication` and run as a service (no signal handlers of
/// its own: the bench decides when it stops), plus the bench's probes into it — an API client,
/// a change-feed tracker, its own WebSocket to aria2 and Torrus's Prometheus registry.
final class BenchEnvironment: Sendable {
    let options: BenchOptions
    let peers: TestPeersServer
    let aria2: Aria2Process
    let registry: PrometheusCollectorRegistry
    let tracker: FeedTracker
    let client: BenchHTTPClient
    let notifications: Aria2NotificationListener
    /// Why Torrus's service group ended early, if it did: waits report it instead of timing out.
    private let torrusEnded = Mutex<String?>(nil)

    private init(
        options: BenchOptions,
        peers: TestPeersServer,
        aria2: Aria2Process,
        registry: PrometheusCollectorRegistry,
        tracker: FeedTracker,
        client: BenchHTTPClient,
        notifications: Aria2NotificationListener
    ) {
        self.options = options
        self.peers = peers
        self.aria2 = aria2
        self.registry = registry
        self.tracker = tracker
        self.client = client
        self.notifications = notifications
    }

    /// A source the file server answers with `size` deterministic bytes, throttled to `rate`
    /// bytes/s when given. `name` must be unique per run: creating is idempotent per source.
    func source(name: String, size: Int, rate: Int? = nil) -> String {
        "http://127.0.0.1:\(peers.port)/files/\(name)?size=\(size)" + (rate.map { "&rate=\($0)" } ?? "")
    }

    /// Throws if Torrus stopped on its own; every wait of the benches calls it.
    func checkTorrusRunning() throws(BenchError) {
        if let reason = torrusEnded.withLock({ $0 }) { throw .check("Torrus stopped unexpectedly: \(reason)") }
    }

    /// Starts everything, waits until Torrus is ready with aria2's push channel up, runs `body`,
    /// and stops everything again — also when setup or `body` fails or the run is interrupted.
    static func run<T: Sendable>(_ options: BenchOptions, _ body: (BenchEnvironment) async throws -> T) async throws -> T {
        let cleanup = CleanupStack()
        do {
            let result = try await startAndRun(options, cleanup: cleanup, body)
            await cleanup.run()
            return result
        } catch {
            await cleanup.run()
            throw error
        }
    }

    private static func startAndRun<T: Sendable>(
        _ options: BenchOptions,
        cleanup: CleanupStack,
        _ body: (BenchEnvironment) async throws -> T
    ) async throws -> T {
        let directory = try TempDirectory()
        cleanup.push { directory.remove() }
        let downloads = try directory.subdirectory("downloads")
        let data = try directory.subdirectory("data")
        let staticRoot = try directory.subdirectory("static")

        let peers = try TestPeersServer.start(root: staticRoot, logFile: directory.path + "/testpeers.log")
        cleanup.push { peers.stop() }

        var aria2Options = Aria2Process.Options(directory: downloads, secret: "")
        aria2Options.sessionFile = data + "/aria2.session"  // as torrusd's managed aria2c has one
        aria2Options.logFile = directory.path + "/aria2c.log"
        aria2Options.extraArguments = [
            "--max-concurrent-downloads=600",  // the 500-active round must not queue in aria2
            "--seed-time=0",
            "--interface=127.0.0.1",
            // 500 × 64 MiB would reserve 32 GiB on disk; the payload is never written past a few KiB.
            "--file-allocation=none",
        ]
        let aria2 = Aria2Process(options: aria2Options)
        do {
            try aria2.start()
        } catch {
            throw BenchError.setup("aria2c: \(error)")
        }
        cleanup.push { aria2.stop() }

        let registry = PrometheusCollectorRegistry()
        let feed = ChangeFeed()
        let tracker = FeedTracker(feed: feed)
        let token = UUID().uuidString
        let port = try Aria2Process.freeLoopbackPort()
        let configuration: TorrusConfiguration
        do {
            configuration = try TorrusConfiguration(environment: [
                "TORRUS_API_TOKEN": token,
                "TORRUS_LISTEN": "127.0.0.1:\(port)",
                "TORRUS_CLIENT": "aria2",
                "TORRUS_STORAGE": "sqlite",
                "TORRUS_DATA_DIR": data,
                "TORRUS_DOWNLOAD_ROOTS": downloads,
                "ARIA2_RPC_URL": aria2.rpcURL,
                "ARIA2_SECRET": aria2.secret,
                "ARIA2_POLL_MS": "\(options.pollMilliseconds)",
            ])
        } catch {
            throw BenchError.setup("Torrus configuration: \(error)")
        }
        // Warnings and worse only: an info-level access log line per request would be the bench
        // measuring its own log output. torrusd logs at info by default; see docs/benchmarks.md.
        var logger = Logger(label: "torrus") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let app = try buildApplication(configuration, logger: logger, metrics: registry, feed: feed)
        let torrus = ServiceGroup(configuration: .init(services: [app], logger: logger))

        let client = BenchHTTPClient(port: port, token: token)
        cleanup.push { client.shutdown() }
        let notifications = Aria2NotificationListener(url: aria2.webSocketURL)
        do {
            try await notifications.connect()
        } catch {
            throw BenchError.setup("the bench's WebSocket to aria2 (\(aria2.webSocketURL)): \(error)")
        }
        cleanup.push { notifications.close() }

        let environment = BenchEnvironment(
            options: options,
            peers: peers,
            aria2: aria2,
            registry: registry,
            tracker: tracker,
            client: client,
            notifications: notifications
        )
        return try await withThrowingTaskGroup(of: String.self) { tasks in
            tasks.addTask {
                do {
                    try await torrus.run()
                    environment.torrusEnded.withLock { $0 = $0 ?? "its services returned" }
                } catch {
                    environment.torrusEnded.withLock { $0 = $0 ?? "\(error)" }
                }
                return "torrus"
            }
            tasks.addTask {
                await tracker.run()
                return "feed"
            }
            let outcome: Result<T, any Error>
            do {
                try await environment.waitUntilReady()
                outcome = .success(try await body(environment))
            } catch {
                outcome = .failure(error)
            }
            // Mark the coming end as expected, then stop gracefully: the server drains, the
            // reconciler flushes, SQLite checkpoints and closes, the change feed finishes (which
            // ends the tracker).
            environment.torrusEnded.withLock { $0 = $0 ?? "stopped by the bench" }
            await torrus.triggerGracefulShutdown()
            tasks.addTask {
                try await Task.sleep(for: .seconds(20))
                throw BenchError.timeout("Torrus did not shut down within 20 s of a graceful shutdown")
            }
            var finished: Set<String> = []
            do {
                while finished.count < 2, let name = try await tasks.next() { finished.insert(name) }
            } catch {
                Output.error("torrus-bench: \(error); cancelling it")
            }
            tasks.cancelAll()
            return try outcome.get()
        }
    }

    /// Until `/readyz` says ready and Torrus's WebSocket to aria2 is up: before that, Torrus
    /// would learn of completions by polling, not push, and the latency would measure that.
    private func waitUntilReady() async throws {
        var last = "no answer yet"
        try await waitUntil("Torrus ready with aria2 push connected", timeout: .seconds(30), interval: .milliseconds(50), progress: { last }) {
            try checkTorrusRunning()
            guard let readiness = await client.readiness() else { return false }
            last = "ready: \(readiness.ready), push: \(readiness.aria2?.pushConnected ?? false)" + (readiness.error.map { ", \($0)" } ?? "")
            return readiness.ready && readiness.aria2?.pushConnected == true
        }
    }
}
