import Logging
import ServiceLifecycle

/// The event path's services, in the order shutdown needs. A service group stops its services
/// in reverse, each once the one after it has finished: so the downloader stops first (nothing
/// more is reported), then the reporter's stream ends, the reconciler applies what is left and
/// writes its pending progress — published, since the feed is still open — and only then do
/// metrics stop and the feed close.
func eventPathServices(
    downloader: any Service,
    reporter: ChannelReporter,
    reconciler: Reconciler,
    metrics: DownloadMetrics,
    feed: ChangeFeed,
    logger: Logger
) -> [any Service] {
    [
        CloseOnShutdown(name: "change feed", logger: logger) { feed.finish() },
        metrics,
        reconciler,
        CloseOnShutdown(name: "downloader events", logger: logger) { reporter.finish() },
        downloader,
    ]
}
