import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Applies downloader events to the store (DESIGN.md, event path): downloader → `Reporter` →
/// reconciler → `Repo.update`. It never talks to the downloader and knows nothing of HTTP.
///
/// Progress is coalesced: the newest progress per GID is kept and written every
/// `progressFlushInterval` in one transaction, however many downloads report. Any other event
/// for a GID first writes that GID's pending progress, so order is preserved.
public final class Reconciler: Service {
    private let events: AsyncStream<DownloaderEvent>
    private let repo: any DownloadRepo
    private let progressFlushInterval: Duration
    private let logger: Logger
    private let pendingProgress = Mutex<[GID: DownloadProgress]>([:])

    public init(
        events: AsyncStream<DownloaderEvent>,
        repo: any DownloadRepo,
        progressFlushInterval: Duration = .milliseconds(500),
        logger: Logger
    ) {
        self.events = events
        self.repo = repo
        self.progressFlushInterval = progressFlushInterval
        self.logger = logger
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: self.progressFlushInterval)) != nil {
                    await self.flushProgress()
                }
            }
            for await event in events.cancelOnGracefulShutdown() {
                await apply(event)
            }
            group.cancelAll()
        }
        await flushProgress()
    }

    /// Applies one event. Internal so tests can drive the reconciler step by step.
    func apply(_ event: DownloaderEvent) async {
        if case .progress(let progress) = event.kind {
            pendingProgress.withLock { $0[event.gid] = progress }
            return
        }
        let progress = pendingProgress.withLock { $0.removeValue(forKey: event.gid) }
        do {
            guard let download = try await repo.find(gid: event.gid) else {
                logger.debug("Dropping event for a GID Torrus does not own", metadata: ["gid": "\(event.gid)", "event": "\(event.kind)"])
                return
            }
            let gid = event.gid
            let update = try await repo.update(download.id) { download in
                // The GID may have changed between the lookup and this write (retry, swap).
                guard download.gid == gid else { return }
                if let progress { EventRules.apply(.progress(progress), to: &download) }
                EventRules.apply(event.kind, to: &download)
            }
            if let update, update.old.status != update.new.status {
                logger.info(
                    "Download status changed",
                    metadata: [
                        "download": "\(download.id.lowercasedString)", "gid": "\(gid)",
                        "from": "\(update.old.status.rawValue)", "to": "\(update.new.status.rawValue)",
                    ]
                )
            }
        } catch {
            logger.error("Could not apply downloader event", metadata: ["gid": "\(event.gid)", "error": "\(error)"])
        }
    }

    /// Writes all pending progress in one transaction.
    func flushProgress() async {
        let pending = pendingProgress.withLock { pending in
            defer { pending = [:] }
            return pending
        }
        guard !pending.isEmpty else { return }
        do {
            var targets: [UUID: (GID, DownloadProgress)] = [:]
            for download in try await repo.find(gids: Array(pending.keys)) {
                if let gid = download.gid, let progress = pending[gid] { targets[download.id] = (gid, progress) }
            }
            let snapshot = targets
            _ = try await repo.updateEach(Array(snapshot.keys)) { download in
                guard let (gid, progress) = snapshot[download.id], download.gid == gid else { return }
                EventRules.apply(.progress(progress), to: &download)
            }
        } catch {
            logger.error("Could not write progress", metadata: ["downloads": "\(pending.count)", "error": "\(error)"])
        }
    }
}
