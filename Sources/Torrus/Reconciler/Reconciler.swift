import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Applies downloader events to the store (DESIGN.md, event path): downloader → `Reporter` →
/// reconciler → `Repo.update(byGID:)`. It never talks to the downloader and knows nothing of HTTP.
///
/// Each batch of events (what one aria2 answer said) is one store write; the GIDs are looked up
/// inside it. Progress alone is coalesced: the newest progress per GID is kept and written every
/// `progressFlushInterval` in one write, however many downloads report. A batch that says more
/// than progress first applies the pending progress of its GIDs, so order is preserved.
public final class Reconciler: Service {
    private let events: AsyncStream<[DownloaderEvent]>
    private let repo: any DownloadRepo
    private let progressFlushInterval: Duration
    private let commands: CommandLog
    private let logger: Logger
    private let pendingProgress = Mutex<[GID: DownloadProgress]>([:])
    private let executor: (any TaskExecutor)?

    public init(
        events: AsyncStream<[DownloaderEvent]>,
        repo: any DownloadRepo,
        progressFlushInterval: Duration = .milliseconds(500),
        commands: CommandLog = CommandLog(),
        executor: (any TaskExecutor)? = nil,
        logger: Logger
    ) {
        self.executor = executor
        self.commands = commands
        self.events = events
        self.repo = repo
        self.progressFlushInterval = progressFlushInterval
        self.logger = logger
    }

    /// Runs on `executor` when given (the store's writer queue: see `SerialQueueExecutor`).
    public func run() async throws {
        await withTaskExecutorPreference(executor) { await self.runLoop() }
    }

    private func runLoop() async {
        await withDiscardingTaskGroup { group in
            group.addTask {
                while (try? await Task.sleep(for: self.progressFlushInterval)) != nil {
                    await self.flushProgress()
                }
            }
            // Not cut short by graceful shutdown: the stream ends once the downloader has stopped
            // (`eventPathServices`), and what it reported until then is still applied.
            for await batch in events {
                await apply(batch)
            }
            group.cancelAll()
        }
        await flushProgress()
    }

    /// Applies one event. Internal so tests can drive the reconciler step by step.
    func apply(_ event: DownloaderEvent) async {
        await apply([event])
    }

    /// Applies one batch: progress alone is kept for the next flush; anything else is written
    /// now, in one transaction, after the pending progress of the GIDs it names.
    func apply(_ batch: [DownloaderEvent]) async {
        // A status aria2 reported in answer to a call sent before a later command (a `tellStatus`
        // racing a pause) is out of date; the command's own notification will follow. Completion
        // is a fact about the payload and always counts.
        let batch = batch.filter { event in
            guard event.isStatus, let observed = event.observedAt else { return true }
            return !commands.isStale(event.gid, observedAt: observed)
        }
        guard !batch.isEmpty else { return }
        if batch.allSatisfy(\.isProgress) {
            pendingProgress.withLock { pending in
                for event in batch { if case .progress(let progress) = event.kind { pending[event.gid] = progress } }
            }
            return
        }
        let edits = pendingProgress.withLock { pending in
            var edits: [GIDEdit] = []
            for event in batch {
                if let progress = pending.removeValue(forKey: event.gid) {
                    edits.append(GIDEdit(event.gid) { EventRules.apply(.progress(progress), to: &$0) })
                }
                let kind = event.kind
                edits.append(GIDEdit(event.gid) { EventRules.apply(kind, to: &$0) })
            }
            return edits
        }
        do {
            for update in try await repo.update(byGID: edits) where update.old.status != update.new.status {
                logger.info(
                    "Download status changed",
                    metadata: [
                        "download": "\(update.new.id.lowercasedString)", "gid": "\(update.new.gid?.rawValue ?? "")",
                        "from": "\(update.old.status.rawValue)", "to": "\(update.new.status.rawValue)",
                    ]
                )
            }
        } catch {
            logger.error("Could not apply downloader events", metadata: ["events": "\(batch.count)", "error": "\(error)"])
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
            _ = try await repo.update(byGID: pending.map { gid, progress in GIDEdit(gid) { EventRules.apply(.progress(progress), to: &$0) } })
        } catch {
            logger.error("Could not write progress", metadata: ["downloads": "\(pending.count)", "error": "\(error)"])
        }
    }
}

extension DownloaderEvent {
    fileprivate var isProgress: Bool {
        if case .progress = kind { true } else { false }
    }

    /// A status a command can make out of date (not a completion).
    fileprivate var isStatus: Bool {
        switch kind {
        case .queued, .started, .paused, .cancelled, .failed: true
        case .completed, .progress, .metadata, .gidSwapped: false
        }
    }
}
