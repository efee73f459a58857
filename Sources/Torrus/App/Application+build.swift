import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

public typealias TorrusApplication = Application<RouterResponder<TorrusRequestContext>>

/// Builds the whole of Torrus from its configuration: store, downloader, reconciler, metrics and
/// the HTTP server, as one application whose services start in that order and stop in reverse
/// (the server drains first, the store closes last). torrusd and the tests share it.
///
/// Tests can bring their own parts: `store` (holding `.v1JSON`; its owner closes it) instead of
/// the configured storage, and `downloader`, made with the application's reporter and run as one
/// of its services, instead of the configured client.
public func buildApplication(
    _ configuration: TorrusConfiguration,
    logger: Logger,
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    feed: ChangeFeed = ChangeFeed(),
    store givenStore: (any DownloadStore)? = nil,
    downloader makeDownloader: ((any Reporter) -> any Downloader & Service)? = nil
) throws -> TorrusApplication {
    let roots = try DownloadRoots(configuration.effectiveDownloadRoots)
    for root in roots.paths {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    var services: [any Service] = []
    let store = try givenStore ?? openStore(configuration, closingOnShutdown: &services, logger: logger)
    let repo = PublishingDownloadRepo(store, feed: feed)
    let metricsFactory = PrometheusMetricsFactory(registry: metrics)

    var streamsLogger = logger
    streamsLogger[metadataKey: "component"] = "events"
    let streams = EventStreams(feed: feed, log: repo, limits: configuration.eventStreams, logger: streamsLogger)

    var webhooksLogger = logger
    webhooksLogger[metadataKey: "component"] = "webhooks"
    // Its own libcurl client: a slow receiver must not hold up calls to aria2.
    let webhookClient = CurlHTTPClient(maxConnectionsPerHost: configuration.webhookPolicy.concurrency, maxResponseBytes: 0)
    let webhooks = WebhookDeliveries(
        store: store,
        feed: feed,
        sender: webhookClient,
        policy: configuration.webhookPolicy,
        configured: configuration.webhooks,
        logger: webhooksLogger
    )
    // Before the event path: stopped after it (its last changes are still delivered or kept).
    services.append(webhooks)

    let reporter = ChannelReporter()
    // Shared by the service (records commands) and the reconciler (drops answers they outdate).
    let commands = CommandLog()
    let downloader: any Downloader
    let downloaderService: any Service
    var aria2: Aria2Adapter?
    var managed: Aria2Supervisor?
    if let makeDownloader {
        let made = makeDownloader(reporter)
        downloaderService = made
        downloader = made
    } else if configuration.client == .noop {
        let noop = NoopDownloader(reporter: reporter, duration: configuration.noopDuration)
        downloaderService = noop
        downloader = noop
    } else {
        let made = try aria2Parts(
            configuration,
            roots: roots,
            reporter: reporter,
            repo: repo,
            settings: store,
            feed: feed,
            metrics: metricsFactory,
            logger: logger
        )
        if let supervisor = made.supervisor { services.append(supervisor) }
        downloaderService = made.adapter
        downloader = made.adapter.downloader
        (aria2, managed) = (made.adapter, made.supervisor)
    }
    var reconcilerLogger = logger
    reconcilerLogger[metadataKey: "component"] = "reconciler"
    services += eventPathServices(
        downloader: downloaderService,
        reporter: reporter,
        reconciler: Reconciler(
            events: reporter.events,
            repo: repo,
            commands: commands,
            executor: store.writerExecutor,
            logger: reconcilerLogger
        ),
        metrics: DownloadMetrics(feed: feed, repo: repo, factory: metricsFactory),
        streams: streams,
        feed: feed,
        logger: logger
    )

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
        service: DownloadService(repo: repo, downloader: downloader, roots: roots, commands: commands, categories: store),
        categories: CategoryService(repo: repo, store: store, roots: roots),
        streams: streams,
        webhooks: WebhookService(deliveries: webhooks),
        settings: SettingsService(store: store, downloader: downloader),
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

/// The configured store; a SQLite one is closed once everything that uses it has stopped.
private func openStore(
    _ configuration: TorrusConfiguration,
    closingOnShutdown services: inout [any Service],
    logger: Logger
) throws -> any DownloadStore {
    switch configuration.storage {
    case .memory:
        return InMemoryDownloadRepo(encoding: .v1JSON)
    case .sqlite:
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let sqlite = try SQLiteDownloadRepo(
            path: configuration.dataDirectory + "/torrus.sqlite",
            encoding: .v1JSON,
            eventRetention: configuration.eventRetention
        )
        services.append(CloseOnShutdown(name: "sqlite", logger: logger) { try sqlite.close() })
        return sqlite
    }
}

/// The aria2 adapter, and the supervisor of torrusd's own aria2c when no `ARIA2_RPC_URL` is given
/// (listed before the adapter, so it stops after it).
private func aria2Parts(
    _ configuration: TorrusConfiguration,
    roots: DownloadRoots,
    reporter: any Reporter,
    repo: PublishingDownloadRepo,
    settings store: any SettingsStore,
    feed: ChangeFeed,
    metrics: any MetricsFactory,
    logger: Logger
) throws -> (adapter: Aria2Adapter, supervisor: Aria2Supervisor?) {
    var settings: Aria2Settings
    var supervisor: Aria2Supervisor?
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
        let managed = Aria2Supervisor(process: Aria2Process(options: options), logger: supervisorLogger)
        supervisor = managed
        settings = Aria2Settings(
            rpcURL: managed.process.rpcURL,
            secret: managed.process.secret,
            timeout: configuration.aria2Timeout,
            pollInterval: configuration.aria2PollInterval
        )
    }
    settings.push = configuration.aria2Push
    var adapterLogger = logger
    adapterLogger[metadataKey: "component"] = "aria2"
    // The adapter's own downloader, known once it exists: the push link's first "up" comes later.
    let commands = Mutex<(any Downloader)?>(nil)
    let adapter = Aria2Adapter(
        settings: settings,
        reporter: reporter,
        repo: repo,
        feed: feed,
        roots: roots,
        metricsFactory: metrics,
        logger: adapterLogger,
        linkChanged: { [adapterLogger] up in
            if up, let downloader = commands.withLock({ $0 }) {
                await SettingsService.reapply(store, to: downloader, logger: adapterLogger)
            }
            do {
                try await repo.logDownloaderEvent(up ? .downloaderConnected : .downloaderDisconnected)
            } catch {
                adapterLogger.warning("Cannot log the push link's change as an event", metadata: ["error": "\(error)"])
            }
        }
    )
    commands.withLock { $0 = adapter.downloader }
    return (adapter, supervisor)
}

/// The HTTP surface: probes at the root, the API under `/v1` behind the bearer token (none when
/// `apiToken` is nil, for development) but for its OpenAPI document, open like the probes. Middleware order, outermost first: request id, access
/// log, problem responses, metrics (`RequestMetricsMiddleware`), error mapping, methods — so the log sees the final status
/// of every request and the metrics see the real status of every failed one.
public func buildRouter(
    service: DownloadService,
    categories: CategoryService,
    streams: EventStreams,
    webhooks: WebhookService,
    settings: SettingsService,
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
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: ErrorMappingMiddleware())
    router.add(middleware: MethodsMiddleware(routes: routes))
    ProbeRoutes(readiness: readiness, registry: metrics).addRoutes(to: router, table: routes)
    // The contract is public: outside the group, so the bearer token is not asked for.
    OpenAPIController().addRoutes(to: router, table: routes)
    let v1 = router.group("v1")
    if let apiToken { v1.add(middleware: BearerAuthMiddleware(token: apiToken)) }
    DownloadsController(service: service).addRoutes(to: v1, at: "/v1", table: routes)
    StatsController(service: service).addRoutes(to: v1, at: "/v1", table: routes)
    CategoriesController(service: categories).addRoutes(to: v1, at: "/v1", table: routes)
    EventsController(streams: streams).addRoutes(to: v1, at: "/v1", table: routes)
    WebhooksController(service: webhooks).addRoutes(to: v1, at: "/v1", table: routes)
    SettingsController(service: settings).addRoutes(to: v1, at: "/v1", table: routes)
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
