import Foundation
import Logging

/// Everything torrusd is configured with. Built from environment-style names (DESIGN.md §9),
/// which the command-line flags of torrusd map onto one to one, so one parser validates both.
public struct TorrusConfiguration: Sendable, Equatable {
    public enum Storage: String, Sendable, CaseIterable { case sqlite, memory }
    public enum Client: String, Sendable, CaseIterable { case noop, aria2 }
    public enum LogFormat: String, Sendable, CaseIterable { case text, json }

    public var listenHost = "0.0.0.0"
    public var listenPort = 9090
    /// Timeouts and the connection cap of the HTTP server.
    public var httpLimits = HTTPConnectionLimits()
    /// Required unless `insecureNoAuth`.
    public var apiToken: String?
    /// Development only: serve the API without authentication.
    public var insecureNoAuth = false
    public var dataDirectory = "./data"
    public var storage = Storage.sqlite
    /// Where downloads may be written; empty means `<dataDirectory>/downloads`.
    public var downloadRoots: [String] = []
    public var client = Client.aria2
    /// aria2's JSON-RPC endpoint; nil means torrusd starts and supervises its own aria2c.
    public var aria2RPCURL: String?
    public var aria2Secret: String?
    public var aria2PollInterval = Duration.milliseconds(1000)
    public var aria2Timeout = Duration.milliseconds(5000)
    /// aria2's WebSocket push; off means polling only.
    public var aria2Push = true
    /// The managed aria2c: which executable, and options appended to (and overriding) Torrus's.
    public var aria2Executable = "aria2c"
    public var aria2ExtraArguments: [String] = []
    public var logFormat = LogFormat.text
    public var logLevel = Logger.Level.info
    /// How long a `noop` download takes from start to Complete.
    public var noopDuration = Duration.milliseconds(3000)
    /// `/v1/events`: open streams, per-stream buffer, heartbeat.
    public var eventStreams = EventStreams.Limits()
    /// How much of the event log the SQLite store keeps (the in-memory store keeps 10,000 events).
    public var eventRetention = EventRetention()
    /// Webhook targets from `TORRUS_WEBHOOKS` (more come through the API).
    public var webhooks: [ConfiguredWebhook] = []
    /// Timeouts, retries and pausing of webhook deliveries.
    public var webhookPolicy = WebhookPolicy()

    public init() {}

    /// The environment names, in the order `--help` and the README list them.
    public enum Key: String, CaseIterable, Sendable {
        case listen = "TORRUS_LISTEN"
        case httpHeaderTimeout = "TORRUS_HTTP_HEADER_TIMEOUT_MS"
        case httpBodyTimeout = "TORRUS_HTTP_BODY_TIMEOUT_MS"
        case httpIdleTimeout = "TORRUS_HTTP_IDLE_TIMEOUT_MS"
        case httpMaxConnections = "TORRUS_HTTP_MAX_CONNECTIONS"
        case httpSendTimeout = "TORRUS_HTTP_SEND_TIMEOUT_MS"
        case apiToken = "TORRUS_API_TOKEN"
        case insecureNoAuth = "TORRUS_INSECURE_NO_AUTH"
        case dataDirectory = "TORRUS_DATA_DIR"
        case storage = "TORRUS_STORAGE"
        case downloadRoots = "TORRUS_DOWNLOAD_ROOTS"
        case client = "TORRUS_CLIENT"
        case noopDuration = "TORRUS_NOOP_DURATION_MS"
        case eventsMaxStreams = "TORRUS_EVENTS_MAX_STREAMS"
        case eventsBuffer = "TORRUS_EVENTS_BUFFER"
        case eventsHeartbeat = "TORRUS_EVENTS_HEARTBEAT_MS"
        case eventsRetain = "TORRUS_EVENTS_RETAIN"
        case eventsRetainHours = "TORRUS_EVENTS_RETAIN_HOURS"
        case webhooks = "TORRUS_WEBHOOKS"
        case webhookTimeout = "TORRUS_WEBHOOK_TIMEOUT_MS"
        case webhookMaxAttempts = "TORRUS_WEBHOOK_MAX_ATTEMPTS"
        case webhookRetryBase = "TORRUS_WEBHOOK_RETRY_BASE_MS"
        case webhookRetryMax = "TORRUS_WEBHOOK_RETRY_MAX_MS"
        case webhookPauseAfter = "TORRUS_WEBHOOK_PAUSE_AFTER"
        case webhookConcurrency = "TORRUS_WEBHOOK_CONCURRENCY"
        case aria2RPCURL = "ARIA2_RPC_URL"
        case aria2Secret = "ARIA2_SECRET"
        case aria2PollMilliseconds = "ARIA2_POLL_MS"
        case aria2TimeoutMilliseconds = "ARIA2_TIMEOUT_MS"
        case aria2Push = "ARIA2_PUSH"
        case aria2Executable = "TORRUS_ARIA2C"
        case aria2ExtraArguments = "TORRUS_ARIA2C_ARGS"
        case logFormat = "LOG_FORMAT"
        case logLevel = "LOG_LEVEL"
    }

    /// Parses and validates. Empty values count as unset. The error names the variable and what
    /// is wrong with it in one line, never the value of a secret.
    public init(environment: [String: String]) throws(ConfigurationError) {
        func value(_ key: Key) -> String? {
            guard let raw = environment[key.rawValue]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        func choice<T: RawRepresentable & CaseIterable>(_ key: Key, _ type: T.Type) throws(ConfigurationError) -> T?
        where T.RawValue == String {
            guard let raw = value(key) else { return nil }
            guard let parsed = T(rawValue: raw.lowercased()) else {
                throw ConfigurationError(key, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), not '\(raw)'")
            }
            return parsed
        }
        func milliseconds(_ key: Key, range: ClosedRange<Int>) throws(ConfigurationError) -> Duration? {
            guard let raw = value(key) else { return nil }
            guard let number = Int(raw), range.contains(number) else {
                throw ConfigurationError(key, "must be a whole number of milliseconds in \(range.lowerBound)...\(range.upperBound), not '\(raw)'")
            }
            return .milliseconds(number)
        }

        if let listen = value(.listen) {
            (listenHost, listenPort) = try Self.parseListen(listen)
        }
        httpLimits.headerTimeout = try milliseconds(.httpHeaderTimeout, range: 10...3_600_000) ?? httpLimits.headerTimeout
        httpLimits.bodyTimeout = try milliseconds(.httpBodyTimeout, range: 10...3_600_000) ?? httpLimits.bodyTimeout
        httpLimits.idleTimeout = try milliseconds(.httpIdleTimeout, range: 10...3_600_000) ?? httpLimits.idleTimeout
        func number(_ key: Key, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            guard let raw = value(key) else { return nil }
            guard let number = Int(raw), range.contains(number) else {
                throw ConfigurationError(key, "must be a whole number in \(range.lowerBound)...\(range.upperBound), not '\(raw)'")
            }
            return number
        }
        httpLimits.maxConnections = try number(.httpMaxConnections, range: 1...1_000_000) ?? httpLimits.maxConnections
        httpLimits.sendTimeout = try milliseconds(.httpSendTimeout, range: 10...3_600_000) ?? httpLimits.sendTimeout
        eventStreams.maxStreams = try number(.eventsMaxStreams, range: 1...100_000) ?? eventStreams.maxStreams
        eventStreams.buffer = try number(.eventsBuffer, range: 16...1_000_000) ?? eventStreams.buffer
        eventStreams.heartbeat = try milliseconds(.eventsHeartbeat, range: 100...3_600_000) ?? eventStreams.heartbeat
        eventRetention.count = try number(.eventsRetain, range: 1000...100_000_000) ?? eventRetention.count
        if let hours = try number(.eventsRetainHours, range: 1...87_600) { eventRetention.age = .seconds(hours * 3600) }
        if let raw = value(.webhooks) {
            do {
                webhooks = try ConfiguredWebhook.parse(raw)
            } catch let error as TorrusError {
                throw ConfigurationError(.webhooks, "is not valid: \(error.message)")
            } catch {
                throw ConfigurationError(.webhooks, "is not valid")
            }
        }
        webhookPolicy.timeout = try milliseconds(.webhookTimeout, range: 100...600_000) ?? webhookPolicy.timeout
        webhookPolicy.maxAttempts = try number(.webhookMaxAttempts, range: 1...100) ?? webhookPolicy.maxAttempts
        webhookPolicy.retryBase = try milliseconds(.webhookRetryBase, range: 10...3_600_000) ?? webhookPolicy.retryBase
        webhookPolicy.maxDelay = try milliseconds(.webhookRetryMax, range: 10...86_400_000) ?? webhookPolicy.maxDelay
        webhookPolicy.pauseAfter = try number(.webhookPauseAfter, range: 1...1_000_000) ?? webhookPolicy.pauseAfter
        webhookPolicy.concurrency = try number(.webhookConcurrency, range: 1...256) ?? webhookPolicy.concurrency
        apiToken = value(.apiToken)
        func flag(_ key: Key) throws(ConfigurationError) -> Bool? {
            guard let raw = value(key) else { return nil }
            guard let flag = ["1": true, "true": true, "yes": true, "0": false, "false": false, "no": false][raw.lowercased()] else {
                throw ConfigurationError(key, "must be true or false, not '\(raw)'")
            }
            return flag
        }
        insecureNoAuth = try flag(.insecureNoAuth) ?? insecureNoAuth
        aria2Push = try flag(.aria2Push) ?? aria2Push
        guard apiToken != nil || insecureNoAuth else {
            throw ConfigurationError(.apiToken, "is required (or start with --insecure-no-auth for local development)")
        }
        dataDirectory = value(.dataDirectory) ?? dataDirectory
        storage = try choice(.storage, Storage.self) ?? storage
        if let roots = value(.downloadRoots) {
            downloadRoots = roots.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            if let relative = downloadRoots.first(where: { !$0.hasPrefix("/") }) {
                throw ConfigurationError(.downloadRoots, "must be absolute paths separated by ':', not '\(relative)'")
            }
        }
        client = try choice(.client, Client.self) ?? client
        noopDuration = try milliseconds(.noopDuration, range: 0...3_600_000) ?? noopDuration
        aria2RPCURL = value(.aria2RPCURL)
        aria2Secret = value(.aria2Secret)
        aria2PollInterval = try milliseconds(.aria2PollMilliseconds, range: 50...600_000) ?? aria2PollInterval
        aria2Timeout = try milliseconds(.aria2TimeoutMilliseconds, range: 10...600_000) ?? aria2Timeout
        logFormat = try choice(.logFormat, LogFormat.self) ?? logFormat
        if let raw = value(.logLevel) {
            guard let level = Logger.Level(rawValue: raw.lowercased()) else {
                let levels = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
                throw ConfigurationError(.logLevel, "must be one of \(levels), not '\(raw)'")
            }
            logLevel = level
        }
        if let url = aria2RPCURL {
            let components = URLComponents(string: url)
            guard ["http", "https", "ws", "wss"].contains(components?.scheme?.lowercased() ?? ""), components?.host?.isEmpty == false else {
                throw ConfigurationError(.aria2RPCURL, "must be an http(s) or ws(s) URL such as http://127.0.0.1:6800/jsonrpc")
            }
        }
        aria2Executable = value(.aria2Executable) ?? aria2Executable
        if let raw = value(.aria2ExtraArguments) {
            aria2ExtraArguments = raw.split(whereSeparator: \.isWhitespace).map(String.init)
            if let bad = aria2ExtraArguments.first(where: { !$0.hasPrefix("--") }) {
                throw ConfigurationError(.aria2ExtraArguments, "must be aria2c options such as --max-concurrent-downloads=10, not '\(bad)'")
            }
        }
    }

    /// `host:port`, `:port` (all interfaces) or `[v6]:port`.
    static func parseListen(_ raw: String) throws(ConfigurationError) -> (String, Int) {
        guard let colon = raw.lastIndex(of: ":"), let port = Int(raw[raw.index(after: colon)...]), (0...65535).contains(port) else {
            throw ConfigurationError(.listen, "must be host:port, such as 0.0.0.0:9090, not '\(raw)'")
        }
        var host = String(raw[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// The configured roots, or the data directory's `downloads/`.
    public var effectiveDownloadRoots: [String] {
        downloadRoots.isEmpty ? [URL(fileURLWithPath: dataDirectory).standardizedFileURL.path + "/downloads"] : downloadRoots
    }
}

/// A configuration value torrusd cannot start with; `description` is the one line it prints.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    public let key: TorrusConfiguration.Key
    public let problem: String

    public init(_ key: TorrusConfiguration.Key, _ problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(key.rawValue) \(problem)" }
}
