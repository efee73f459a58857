import CoreMetrics
import Metrics
import ServiceLifecycle

/// Download metrics, fed by the change feed (DESIGN.md §10) rather than by hooks in handlers or
/// the reconciler: `torrus_downloads{status}` (how many downloads are in each status now) and
/// `torrus_download_transitions_total{status}` (how often downloads entered each status).
final class DownloadMetrics: Service {
    private let feed: ChangeFeed
    private let repo: any DownloadReader
    private let factory: any MetricsFactory

    init(feed: ChangeFeed, repo: any DownloadReader, factory: any MetricsFactory) {
        self.feed = feed
        self.repo = repo
        self.factory = factory
    }

    func run() async throws {
        // Subscribe before counting, so no change falls between the count and the feed.
        let changes = feed.subscribe()
        var counts = Dictionary(uniqueKeysWithValues: DownloadStatus.allCases.map { ($0, 0) })
        // Counted by the store: listing 100,000 downloads here cost a 99 MB peak at startup.
        counts.merge(try await repo.countByStatus()) { _, stored in stored }
        let gauges = Dictionary(
            uniqueKeysWithValues: DownloadStatus.allCases.map {
                ($0, Gauge(label: "torrus_downloads", dimensions: [("status", $0.rawValue)], factory: factory))
            }
        )
        let transitions = Dictionary(
            uniqueKeysWithValues: DownloadStatus.allCases.map {
                ($0, Counter(label: "torrus_download_transitions_total", dimensions: [("status", $0.rawValue)], factory: factory))
            }
        )
        for (status, gauge) in gauges { gauge.record(counts[status] ?? 0) }

        for await committed in changes.cancelOnGracefulShutdown() {
            guard let change = committed.change else { continue }
            var touched: [DownloadStatus] = []
            switch change {
            case .created(let download):
                counts[download.status, default: 0] += 1
                transitions[download.status]?.increment()
                touched = [download.status]
            case .deleted(let download):
                counts[download.status, default: 0] -= 1
                touched = [download.status]
            case .updated(let old, let new) where old.status != new.status:
                counts[old.status, default: 0] -= 1
                counts[new.status, default: 0] += 1
                transitions[new.status]?.increment()
                touched = [old.status, new.status]
            case .updated:
                continue
            }
            for status in touched { gauges[status]?.record(counts[status] ?? 0) }
        }
    }
}
