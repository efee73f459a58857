import Foundation
import ServiceLifecycle

/// A downloader that transfers nothing but behaves like one (`TORRUS_CLIENT=noop`): each started
/// download reports Start, its metadata, a few Progress events and Complete over `duration`, so
/// the API, reconciler and change feed can be watched without aria2. A source whose host ends in
/// `.invalid` fails after the first step, as such names never resolve.
///
/// Transfers are simulated by `run()`, so the downloader must run as a service.
public actor NoopDownloader: Downloader, Service {
    /// The pretend size of every payload.
    public static let payloadLength: Int64 = 10 * 1024 * 1024

    private struct Transfer {
        var generation = 0
        var completed: Int64 = 0
        var name: String
        var targetPath: String
        var failsAfterFirstStep: Bool
    }

    private let reporter: any Reporter
    private let duration: Duration
    private let steps: Int
    private var transfers: [GID: Transfer] = [:]
    private let runs: AsyncStream<(GID, Int)>
    private let runsContinuation: AsyncStream<(GID, Int)>.Continuation

    public init(reporter: any Reporter, duration: Duration = .seconds(3), steps: Int = 5) {
        self.reporter = reporter
        self.duration = duration
        self.steps = max(1, steps)
        (runs, runsContinuation) = AsyncStream.makeStream(of: (GID, Int).self)
    }

    public func start(_ download: Download) throws {
        let gid = try Self.gid(of: download)
        let source = URLComponents(string: download.source)
        transfers[gid] = Transfer(
            name: Self.name(of: download.source),
            targetPath: download.targetPath,
            failsAfterFirstStep: source?.host?.hasSuffix(".invalid") ?? false
        )
        if download.desiredStatus != .paused { schedule(gid) }
    }

    public func pause(_ download: Download) throws {
        let gid = try Self.gid(of: download)
        // A new generation makes the running simulation stop at its next step.
        transfers[gid]?.generation += 1
        reporter.report(DownloaderEvent(gid: gid, .paused))
    }

    public func resume(_ download: Download) throws {
        let gid = try Self.gid(of: download)
        // Simulations live in memory: after a restart of torrusd, resuming starts over.
        if transfers[gid] == nil { try start(download) }
        reporter.report(DownloaderEvent(gid: gid, .queued))
        schedule(gid)
    }

    public func cancel(_ download: Download) throws {
        let gid = try Self.gid(of: download)
        transfers[gid] = nil
        reporter.report(DownloaderEvent(gid: gid, .cancelled))
    }

    /// Nothing to apply: noop downloads have no speed or files to limit.
    public func change(_ download: Download, options: DownloadOptions) {}

    /// Noop downloads have no speed to limit.
    public func apply(_ settings: GlobalSettings) {}

    /// The noop downloader keeps no totals.
    public func globalStats() -> DownloaderStats? { nil }

    public func purge(_ download: Download, deleteFiles: Bool) async {
        if let gid = download.gid { transfers[gid] = nil }
        if deleteFiles {
            // Off the actor and the cooperative pool: deleting files blocks.
            _ = await PayloadRemover().remove(files: download.files.map(\.path), name: download.name, in: download.targetPath)
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await (gid, generation) in runs.cancelOnGracefulShutdown() {
                group.addTask { await self.simulate(gid, generation: generation) }
            }
            group.cancelAll()
        }
    }

    private func schedule(_ gid: GID) {
        guard transfers[gid] != nil else { return }
        transfers[gid]!.generation += 1
        runsContinuation.yield((gid, transfers[gid]!.generation))
    }

    private func simulate(_ gid: GID, generation: Int) async {
        guard let transfer = transfers[gid], transfer.generation == generation else { return }
        let length = Self.payloadLength
        let path = transfer.targetPath + "/" + transfer.name
        reporter.report(DownloaderEvent(gid: gid, .started))
        reporter.report(
            DownloaderEvent(
                gid: gid,
                .metadata(name: transfer.name, files: [DownloadFile(path: path, length: length, completed: 0, index: 1)], infoHash: nil)
            )
        )
        let step = duration / steps
        let speed = Int64(Double(length) / max(0.001, Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18))
        while true {
            do { try await Task.sleep(for: step) } catch { return }
            // Paused, cancelled, purged or restarted meanwhile: this run is over.
            guard var current = transfers[gid], current.generation == generation else { return }
            if current.failsAfterFirstStep {
                transfers[gid] = nil
                let failure = DownloadFailure(code: 19, message: "Name resolution failed for \(current.name) (noop: .invalid hosts never resolve)")
                reporter.report(DownloaderEvent(gid: gid, .failed(failure)))
                return
            }
            current.completed = min(length, current.completed + length / Int64(steps) + 1)
            transfers[gid] = current
            let done = current.completed == length
            reporter.report(
                DownloaderEvent(
                    gid: gid,
                    .progress(
                        DownloadProgress(
                            completedLength: current.completed,
                            totalLength: length,
                            downloadSpeed: done ? 0 : speed,
                            uploadSpeed: 0,
                            // One pretend server while transferring, as aria2 reports an HTTP download.
                            connections: done ? 0 : 1
                        )
                    )
                )
            )
            if done {
                reporter.report(DownloaderEvent(gid: gid, .completed))
                return
            }
        }
    }

    private static func gid(of download: Download) throws -> GID {
        guard let gid = download.gid else { throw TorrusError.downloaderRejected("The download has no GID.") }
        return gid
    }

    /// What aria2 would call the payload: the URL's last path segment, a magnet's `dn`, or "download".
    static func name(of source: String) -> String {
        let components = URLComponents(string: source)
        if components?.scheme?.lowercased() == "magnet",
            let displayName = components?.queryItems?.first(where: { $0.name == "dn" })?.value, !displayName.isEmpty
        {
            return displayName.replacingOccurrences(of: "/", with: "_")
        }
        let last = (components?.path as NSString?)?.lastPathComponent ?? ""
        return last.isEmpty || last == "/" ? "download" : last
    }
}
