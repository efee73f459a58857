import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle

public typealias TorrusApplication = Application<RouterResponder<TorrusRequestContext>>

/// Builds the whole of Torrus from its configuration: store, downloader, reconciler, metrics and
/// the HTTP server, as one application whose services start in that order and stop in reverse
/// (the server drains first, the store closes last). torrusd and the tests share it.
public func buildApplication(
    _ configuration: TorrusConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    feed: ChangeFeed = ChangeFeed()
) throws -> TorrusApplication {
    let roots = try DownloadRoots(configuration.effectiveDownloadRoots)
    for root in roots.paths {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    var services: [any Service] = []
    let store: any DownloadRepo
    switch configuration.storage {
    case .memory:
        store = InMemoryDownloadRepo(encoding: .v1JSON)
    case .sqlite:
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let sqlite = try SQLiteDownloadRepo(path: configuration.dataDirectory + "/torrus.sqlite", encoding: .v1JSON)
        services.append(CloseOnShutdown(name: "sqlite", logger: logger) { try sqlite.close() })
        store = sqlite
    }
    let repo = PublishingDownloadRepo(store, feed: feed, encoding: .v1JSON)
    let metricsFactory = PrometheusMetricsFactory(registry: metrics)

    let reporter = ChannelReporter()
    let downloader: any Downloader
    var aria2: Aria2Adapter?
    var managed: Aria2Supervisor?
    switch configuration.client {
    case .noop:
        let noop = NoopDownloader(reporter: reporter, duration: configuration.noopDuration)
        services.append(noop)
        downloader = noop
    case .aria2:
        var settings: Aria2Settings
        if let url = configuration.aria2RPCURL {
            settings = Aria2Settings(
                rpcURL: url,
                secret: configuration.aria2Secret,
                timeout: configuration.aria2Timeout,
                pollInterval: configuration.aria2PollInterval
            )
        } else {
            let options = try Aria2Process.Options.managed(
                executable: configuration.aria2Executable,
                dataDirectory: configuration.dataDirectory,
                downloadDirectory: roots.paths[0],
                extraArguments: configuration.aria2ExtraArguments
            )
            var supervisorLogger = logger
            supervisorLogger[metadataKey: "component"] = "aria2c"
            let supervisor = Aria2Supervisor(process: Aria2Process(options: options), logger: supervisorLogger)
            services.append(supervisor)
            managed = supervisor
            settings = Aria2Settings(
                rpcURL: supervisor.process.rpcURL,
                secret: supervisor.process.secret,
                timeout: configuration.aria2Timeout,
                pollInterval: configuration.aria2PollInterval
            )
        }
        settings.push = configuration.aria2Push
        var adapterLogger = logger
        adapterLogger[metadataKey: "component"] = "aria2"
        let adapter = Aria2Adapter(
            settings: settings,
            reporter: reporter,
            repo: repo,
            feed: feed,
            roots: roots,
            metricsFactory: metricsFactory,
            logger: adapterLogger
        )
        services.append(adapter)
        downloader = adapter.downloader
        aria2 = adapter
    }
    var reconcilerLogger = logger
    reconcilerLogger[metadataKey: "component"] = "reconciler"
    services.append(Reconciler(events: reporter.events, repo: repo, logger: reconcilerLogger))
    services.append(DownloadMetrics(feed: feed, repo: repo, factory: metricsFactory))
    services.append(CloseOnShutdown(name: "change feed", logger: logger) { feed.finish() })

    let readiness = Readiness { [aria2] in
        do {
            _ = try await store.get(UUID())
        } catch {
            return Readiness.Report(ready: false, error: "The download store is not available.")
        }
        guard let aria2 else { return Readiness.Report(ready: true) }
        let report = await aria2.readiness()
        return Readiness.Report(ready: report.ready, error: report.error, aria2: report)
    }
    let router = buildRouter(
        service: DownloadService(repo: repo, downloader: downloader, roots: roots),
        apiToken: configuration.insecureNoAuth ? nil : configuration.apiToken,
        readiness: readiness,
        metrics: metrics
    )
    // Every connection holds a descriptor: use all the process may have, and cap connections
    // below that so the cap (503), not the kernel (accept failing), decides who is turned away.
    let descriptors = FileDescriptorLimit.raiseSoftToHard(logger: logger)
    let connections = ConnectionCap(
        configured: configuration.httpLimits.maxConnections,
        descriptors: descriptors,
        factory: metricsFactory,
        logger: logger
    )
    var application = Application(
        router: router,
        server: .http1(limits: configuration.httpLimits, connections: connections),
        configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "torrus"),
        services: services,
        logger: logger
    )
    if let managed {
        // Accept requests only once the managed aria2c runs; a failure to start it stops torrusd.
        application.beforeServerStarts { try await managed.started() }
    }
    return application
}

/// The HTTP surface: probes at the root, the API under `/v1` behind the bearer token (none when
/// `apiToken` is nil, for development). Middleware order, outermost first: request id, access
/// log, problem responses, metrics, error mapping, methods — so the log sees the final status
/// of every request and the metrics see the real status of every failed one.
public func buildRouter(
    service: DownloadService,
    apiToken: String?,
    readiness: Readiness,
    metrics: PrometheusCollectorRegistry
) -> Router<TorrusRequestContext> {
    // HEAD runs the GET route (MethodsMiddleware then drops the body, keeping its length).
    let router = Router(context: TorrusRequestContext.self, options: .autoGenerateHeadEndpoints)
    let routes = RouteTable()
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: ErrorMappingMiddleware())
    router.add(middleware: MethodsMiddleware(routes: routes))
    ProbeRoutes(readiness: readiness, registry: metrics).addRoutes(to: router, table: routes)
    let v1 = router.group("v1")
    if let apiToken { v1.add(middleware: BearerAuthMiddleware(token: apiToken)) }
    DownloadsController(service: service).addRoutes(to: v1, at: "/v1", table: routes)
    return router
}

/// Runs `close` once graceful shutdown begins. Listed before the services that use the resource,
/// so the service group (which stops services in reverse order) closes it after they stopped.
struct CloseOnShutdown: Service {
    let name: String
    let logger: Logger
    let close: @Sendable () throws -> Void

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try close()
            logger.debug("Closed \(name)")
        } catch {
            logger.error("Could not close \(name)", metadata: ["error": "\(error)"])
        }
    }
}
