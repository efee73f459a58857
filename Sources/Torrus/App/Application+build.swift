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
    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()
) throws -> TorrusApplication {
    let roots = try DownloadRoots(configuration.effectiveDownloadRoots)
    for root in roots.paths {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    var services: [any Service] = []
    let store: any DownloadRepo
    switch configuration.storage {
    case .memory:
        store = InMemoryDownloadRepo()
    case .sqlite:
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        let sqlite = try SQLiteDownloadRepo(path: configuration.dataDirectory + "/torrus.sqlite")
        services.append(CloseOnShutdown(name: "sqlite", logger: logger) { try sqlite.close() })
        store = sqlite
    }
    let feed = ChangeFeed()
    let repo = PublishingDownloadRepo(store, feed: feed)

    let reporter = ChannelReporter()
    let downloader: any Downloader
    switch configuration.client {
    case .noop, .aria2:
        let noop = NoopDownloader(reporter: reporter, duration: configuration.noopDuration)
        services.append(noop)
        downloader = noop
    }
    var reconcilerLogger = logger
    reconcilerLogger[metadataKey: "component"] = "reconciler"
    services.append(Reconciler(events: reporter.events, repo: repo, logger: reconcilerLogger))
    services.append(DownloadMetrics(feed: feed, repo: repo, factory: PrometheusMetricsFactory(registry: metrics)))
    services.append(CloseOnShutdown(name: "change feed", logger: logger) { feed.finish() })

    let readiness = Readiness {
        do {
            _ = try await store.get(UUID())
            return nil
        } catch {
            return "The download store is not available."
        }
    }
    let router = buildRouter(
        service: DownloadService(repo: repo, downloader: downloader, roots: roots),
        apiToken: configuration.insecureNoAuth ? nil : configuration.apiToken,
        readiness: readiness,
        metrics: metrics
    )
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.listenHost, port: configuration.listenPort), serverName: "torrus"),
        services: services,
        logger: logger
    )
}

/// The HTTP surface: probes at the root, the API under `/v1` behind the bearer token (none when
/// `apiToken` is nil, for development). Middleware order, outermost first: request id, access
/// log, problem mapping, metrics — so the log sees the final status of every request.
public func buildRouter(
    service: DownloadService,
    apiToken: String?,
    readiness: Readiness,
    metrics: PrometheusCollectorRegistry
) -> Router<TorrusRequestContext> {
    let router = Router(context: TorrusRequestContext.self)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: ProblemMiddleware())
    router.add(middleware: MetricsMiddleware())
    ProbeRoutes(readiness: readiness, registry: metrics).addRoutes(to: router)
    let v1 = router.group("v1")
    if let apiToken { v1.add(middleware: BearerAuthMiddleware(token: apiToken)) }
    DownloadsController(service: service).addRoutes(to: v1)
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
