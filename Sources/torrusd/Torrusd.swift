import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import Torrus

/// torrusd: reads configuration (flags override environment variables of the same meaning),
/// bootstraps logging and metrics, and runs the application until SIGTERM or SIGINT.
@main
struct Torrusd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "torrusd",
        abstract: "Torrus: a REST API over the aria2 download daemon.",
        discussion: "Every option can also be set through the environment variable named in its help; a flag wins over the variable."
    )

    @Option(help: "Address to listen on, host:port (TORRUS_LISTEN, default 0.0.0.0:9090).")
    var listen: String?
    @Option(help: "Time allowed to receive a request head, in ms (TORRUS_HTTP_HEADER_TIMEOUT_MS, default 10000).")
    var httpHeaderTimeoutMs: String?
    @Option(help: "Time allowed from a request head to the end of its body, in ms (TORRUS_HTTP_BODY_TIMEOUT_MS, default 30000).")
    var httpBodyTimeoutMs: String?
    @Option(help: "Time a connection may sit idle between requests, in ms (TORRUS_HTTP_IDLE_TIMEOUT_MS, default 60000).")
    var httpIdleTimeoutMs: String?
    @Option(help: "Open connections beyond which new ones are answered 503 (TORRUS_HTTP_MAX_CONNECTIONS, default 4096).")
    var httpMaxConnections: String?
    @Option(help: "Time a response may wait for a client that reads nothing, in ms (TORRUS_HTTP_SEND_TIMEOUT_MS, default 30000).")
    var httpSendTimeoutMs: String?
    @Option(help: "Bearer token required by /v1 (TORRUS_API_TOKEN). Prefer the variable: flags show up in ps.")
    var apiToken: String?
    @Flag(help: "Serve /v1 without authentication. Development only (TORRUS_INSECURE_NO_AUTH).")
    var insecureNoAuth = false
    @Option(help: "Directory for the database and default downloads (TORRUS_DATA_DIR, default ./data).")
    var dataDir: String?
    @Option(help: "sqlite or memory (TORRUS_STORAGE, default sqlite).")
    var storage: String?
    @Option(help: "Colon-separated directories downloads may be written to (TORRUS_DOWNLOAD_ROOTS, default <data-dir>/downloads).")
    var downloadRoots: String?
    @Option(help: "Downloader: aria2 or noop (TORRUS_CLIENT, default aria2).")
    var client: String?
    @Option(help: "How long a noop download takes, in ms (TORRUS_NOOP_DURATION_MS, default 3000).")
    var noopDurationMs: String?
    @Option(help: "Open /v1/events streams at most; more get 429 (TORRUS_EVENTS_MAX_STREAMS, default 100).")
    var eventsMaxStreams: String?
    @Option(help: "Events a stream may fall behind before it is reset and closed (TORRUS_EVENTS_BUFFER, default 4096).")
    var eventsBuffer: String?
    @Option(help: "Heartbeat comment on a quiet event stream, in ms (TORRUS_EVENTS_HEARTBEAT_MS, default 15000).")
    var eventsHeartbeatMs: String?
    @Option(help: "Events the SQLite event log keeps at most (TORRUS_EVENTS_RETAIN, default 100000).")
    var eventsRetain: String?
    @Option(help: "Hours the SQLite event log keeps an event at most (TORRUS_EVENTS_RETAIN_HOURS, default 168).")
    var eventsRetainHours: String?
    @Option(help: "Webhook targets, a JSON array of {url, secret, types, downloads} (TORRUS_WEBHOOKS). Prefer the variable: flags show up in ps.")
    var webhooks: String?
    @Option(help: "One webhook attempt's limit in ms (TORRUS_WEBHOOK_TIMEOUT_MS, default 10000).")
    var webhookTimeoutMs: String?
    @Option(help: "Attempts per webhook message before it fails (TORRUS_WEBHOOK_MAX_ATTEMPTS, default 12).")
    var webhookMaxAttempts: String?
    @Option(help: "Wait before the first webhook retry in ms, doubling each time (TORRUS_WEBHOOK_RETRY_BASE_MS, default 1000).")
    var webhookRetryBaseMs: String?
    @Option(help: "Longest wait between webhook retries in ms (TORRUS_WEBHOOK_RETRY_MAX_MS, default 900000).")
    var webhookRetryMaxMs: String?
    @Option(help: "Messages failing in a row that pause a webhook target (TORRUS_WEBHOOK_PAUSE_AFTER, default 5).")
    var webhookPauseAfter: String?
    @Option(help: "Webhook messages in flight per target (TORRUS_WEBHOOK_CONCURRENCY, default 8).")
    var webhookConcurrency: String?
    @Option(help: "aria2 JSON-RPC URL (ARIA2_RPC_URL); unset, torrusd runs its own aria2c.")
    var aria2RpcUrl: String?
    @Option(help: "aria2 RPC secret (ARIA2_SECRET). Prefer the variable: flags show up in ps.")
    var aria2Secret: String?
    @Option(help: "aria2 progress poll interval in ms (ARIA2_POLL_MS, default 1000).")
    var aria2PollMs: String?
    @Option(help: "aria2 call timeout in ms (ARIA2_TIMEOUT_MS, default 5000).")
    var aria2TimeoutMs: String?
    @Option(help: "true or false: use aria2's WebSocket push; false polls only (ARIA2_PUSH, default true).")
    var aria2Push: String?
    @Option(help: "The managed aria2c executable (TORRUS_ARIA2C, default aria2c).")
    var aria2c: String?
    @Option(help: "Extra options for the managed aria2c, appended last (TORRUS_ARIA2C_ARGS).")
    var aria2cArgs: String?
    @Option(help: "text or json (LOG_FORMAT, default text).")
    var logFormat: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (LOG_LEVEL, default info).")
    var logLevel: String?

    func run() async throws {
        let configuration: TorrusConfiguration
        do {
            configuration = try TorrusConfiguration(environment: mergedEnvironment())
        } catch {
            Self.exit(withMessage: "torrusd: \(error)")
        }
        do {
            try StartupCheck.run(configuration)
        } catch {
            Self.exit(withMessage: "torrusd: \(error)")
        }

        LoggingSystem.bootstrap { label in
            var handler: any LogHandler =
                switch configuration.logFormat {
                case .text: TextLogHandler(label: label)
                case .json: JSONLogHandler(label: label)
                }
            handler.logLevel = configuration.logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "torrusd")

        if configuration.insecureNoAuth {
            logger.critical(
                "AUTHENTICATION IS DISABLED (--insecure-no-auth): anyone who can reach this port controls your downloads. Development only."
            )
        }
        let app: TorrusApplication
        do {
            app = try buildApplication(configuration, logger: logger, metrics: registry)
        } catch {
            let line = StartupError(building: error, configuration: configuration)?.description ?? "cannot start: \(error)"
            Self.exit(withMessage: "torrusd: \(line)")
        }
        logger.info(
            "Starting torrusd",
            metadata: [
                "listen": "\(configuration.listenHost):\(configuration.listenPort)",
                "storage": "\(configuration.storage.rawValue)", "client": "\(configuration.client.rawValue)",
                "dataDir": "\(configuration.dataDirectory)",
            ]
        )
        do {
            try await app.runService()
        } catch {
            // Reported once every service has stopped (the managed aria2c included).
            guard let startup = StartupError(running: error, configuration: configuration) else { throw error }
            Self.exit(withMessage: "torrusd: \(startup)")
        }
        logger.info("torrusd stopped")
    }

    /// The environment with every given flag written over its variable.
    private func mergedEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let flags: [(TorrusConfiguration.Key, String?)] = [
            (.listen, listen), (.httpHeaderTimeout, httpHeaderTimeoutMs), (.httpBodyTimeout, httpBodyTimeoutMs),
            (.httpIdleTimeout, httpIdleTimeoutMs), (.httpMaxConnections, httpMaxConnections), (.httpSendTimeout, httpSendTimeoutMs),
            (.apiToken, apiToken),
            (.insecureNoAuth, insecureNoAuth ? "true" : nil),
            (.dataDirectory, dataDir), (.storage, storage), (.downloadRoots, downloadRoots), (.client, client),
            (.noopDuration, noopDurationMs), (.eventsMaxStreams, eventsMaxStreams), (.eventsBuffer, eventsBuffer),
            (.eventsHeartbeat, eventsHeartbeatMs), (.eventsRetain, eventsRetain), (.eventsRetainHours, eventsRetainHours),
            (.webhooks, webhooks), (.webhookTimeout, webhookTimeoutMs), (.webhookMaxAttempts, webhookMaxAttempts),
            (.webhookRetryBase, webhookRetryBaseMs), (.webhookRetryMax, webhookRetryMaxMs), (.webhookPauseAfter, webhookPauseAfter),
            (.webhookConcurrency, webhookConcurrency),
            (.aria2RPCURL, aria2RpcUrl), (.aria2Secret, aria2Secret),
            (.aria2PollMilliseconds, aria2PollMs), (.aria2TimeoutMilliseconds, aria2TimeoutMs),
            (.aria2Executable, aria2c), (.aria2ExtraArguments, aria2cArgs), (.aria2Push, aria2Push),
            (.logFormat, logFormat), (.logLevel, logLevel),
        ]
        for case (let key, let value?) in flags { environment[key.rawValue] = value }
        return environment
    }

    /// One clear line on standard error and a non-zero exit, for configuration a user must fix.
    private static func exit(withMessage message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        Foundation.exit(2)
    }
}
