import Logging
import ServiceLifecycle

/// The event path's services, in the order shutdown needs. A service group stops its services
/// in reverse, each once the one after it has finished: so the downloader stops first (nothing
/// more is reported), then the reconciler ends the reporter's stream, applies what is left and
/// writes its pending progress — published, since the feed is still open — and only then do
/// metrics and the event streams stop and the feed close. (The event streams end their clients'
/// responses earlier, as soon as the HTTP server begins to stop: `EventStreamSession`.)
func eventPathServices(
    downloader: any Service,
    reporter: ChannelReporter,
    reconciler: Reconciler,
    metrics: DownloadMetrics,
    streams: EventStreams,
    feed: ChangeFeed,
    logger: Logger
) -> [any Service] {
    [
        CloseOnShutdown(name: "change feed", logger: logger) { feed.finish() },
        streams,
        metrics,
        DrainingReconciler(reconciler: reconciler, reporter: reporter),
        downloader,
    ]
}

/// The reconciler, which ends its own event stream when told to stop. Ended by a service of its
/// own, the stream could let the reconciler drain and return before the group told it to stop,
/// and a service group fails on a service that returns early.
private struct DrainingReconciler: Service {
    let reconciler: Reconciler
    let reporter: ChannelReporter

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await reconciler.run()
        } onGracefulShutdown: {
            reporter.finish()
        }
    }
}
