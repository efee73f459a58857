import Foundation
import Logging
import Synchronization

/// Runs `Aria2Resync` when the adapter (re)connects and every `interval` (the slow safety sweep,
/// which also notices a new aria2 session and cleans up results the janitor could not remove,
/// such as torrents that were still seeding). One resync at a time: a sweep and a reconnect never
/// overlap.
final class Aria2Resyncer: Sendable {
    private let rpc: Aria2RPC
    private let repo: any DownloadFinder
    private let reporter: any Reporter
    private let downloader: Aria2Downloader
    private let poller: Aria2ProgressPoller
    private let interval: Duration
    private let logger: Logger
    private let lock = KeyedLock()
    private static let key = UUID()
    /// The aria2 session seen last: a new one means aria2 restarted.
    private let session = Mutex<String?>(nil)

    init(
        rpc: Aria2RPC,
        repo: any DownloadFinder,
        reporter: any Reporter,
        downloader: Aria2Downloader,
        poller: Aria2ProgressPoller,
        interval: Duration,
        logger: Logger
    ) {
        self.rpc = rpc
        self.repo = repo
        self.reporter = reporter
        self.downloader = downloader
        self.poller = poller
        self.interval = interval
        self.logger = logger
    }

    /// The sweep loop; ends when its task is cancelled.
    func run() async {
        while (try? await Task.sleep(for: interval)) != nil {
            await resync(reason: "sweep")
        }
    }

    func resync(reason: String) async {
        let resync = Aria2Resync(rpc: rpc, repo: repo, reporter: reporter, downloader: downloader, logger: logger)
        _ = try? await lock.withLock(Self.key) {
            do {
                let info = try await self.rpc.call("aria2.getSessionInfo", as: Aria2SessionInfo.self)
                if let id = info.sessionId {
                    let previous = self.session.withLock { session in
                        defer { session = id }
                        return session
                    }
                    if let previous, previous != id { self.logger.warning("aria2 restarted (new session)", metadata: ["session": "\(id)"]) }
                }
                let summary = try await resync.run()
                // A sweep that changed nothing is routine: keep it out of the info log.
                let acted = summary.readded + summary.completedOnDisk + summary.conflicts + summary.resultsRemoved > 0
                self.logger.log(
                    level: acted || reason != "sweep" ? .info : .debug,
                    "Resynced with aria2",
                    metadata: [
                        "reason": "\(reason)", "known": "\(summary.known)", "readded": "\(summary.readded)",
                        "completedOnDisk": "\(summary.completedOnDisk)", "conflicts": "\(summary.conflicts)",
                        "resultsRemoved": "\(summary.resultsRemoved)",
                    ]
                )
                self.poller.wake()
            } catch {
                self.logger.warning("Resync with aria2 failed", metadata: ["reason": "\(reason)", "error": "\(error)"])
            }
        }
    }
}
