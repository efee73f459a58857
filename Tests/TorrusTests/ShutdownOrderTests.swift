import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Testing

@testable import Torrus

@Suite struct ShutdownOrderTests {
    /// Stands for the downloader: runs until graceful shutdown.
    struct IdleDownloader: Service {
        func run() async throws { try? await gracefulShutdown() }
    }

    @Test(.timeLimit(.minutes(1))) func theReconcilersLastProgressWriteIsPublishedBeforeTheFeedCloses() async throws {
        let feed = ChangeFeed()
        let repo = PublishingDownloadRepo(InMemoryDownloadRepo(encoding: .v1JSON), feed: feed)
        let download = makeDownload(status: .active)
        _ = try await repo.insert(download)
        let changes = feed.subscribe()
        let reporter = ChannelReporter()
        let logger = Logger(label: "test")
        // Progress is only ever written by a flush: none comes before shutdown.
        let reconciler = Reconciler(events: reporter.events, repo: repo, progressFlushInterval: .seconds(3600), logger: logger)
        let group = ServiceGroup(
            services: eventPathServices(
                downloader: IdleDownloader(),
                reporter: reporter,
                reconciler: reconciler,
                metrics: DownloadMetrics(feed: feed, repo: repo, factory: NOOPMetricsHandler.instance),
                streams: EventStreams(feed: feed, log: repo, logger: logger),
                feed: feed,
                logger: logger
            ),
            logger: logger
        )
        let progress = DownloadProgress(completedLength: 7, totalLength: 10, downloadSpeed: 1, uploadSpeed: 0)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            reporter.report(DownloaderEvent(gid: download.gid!, .progress(progress)))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        var published: [DownloadChange] = []
        for await committed in changes { published += [committed.change].compactMap { $0 } }
        #expect(published.map(\.download.progress).contains(progress), "the flush at shutdown reached the feed")
        #expect(try await repo.get(download.id)?.progress == progress)
    }
}
