import Logging
import Synchronization

/// aria2 pushes no progress, so while anything is active Torrus asks for it: one `tellActive`
/// per `interval` for all downloads together — never one call per download — and reports only
/// values that changed. Idle, it sleeps until woken (a start, a resume, a notification).
///
/// Without push (no WebSocket), it also asks aria2 what became of downloads that left the active
/// list and of those Torrus handed over but never saw active (a 404 fails while still waiting),
/// in one `system.multicall` per tick.
final class Aria2ProgressPoller: Sendable {
    private let rpc: Aria2RPC
    private let reporter: any Reporter
    private let interval: Duration
    private let metrics: Aria2Metrics
    private let logger: Logger
    private let pushConnected: @Sendable () -> Bool
    private let wakeups: AsyncStream<Void>
    private let wakeupContinuation: AsyncStream<Void>.Continuation
    /// Last reported progress per active GID; only the poll loop touches it.
    private let lastSeen = Mutex<[String: DownloadProgress]>([:])
    /// GIDs handed to aria2 while push was down, followed until aria2 reports them finished.
    private let watched = Mutex<Set<String>>([])

    init(
        rpc: Aria2RPC,
        reporter: any Reporter,
        interval: Duration,
        metrics: Aria2Metrics,
        logger: Logger,
        pushConnected: @escaping @Sendable () -> Bool
    ) {
        self.rpc = rpc
        self.reporter = reporter
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
        self.pushConnected = pushConnected
        (wakeups, wakeupContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// `gid` was just handed to aria2 (or resumed): poll at once if idle, and without push,
    /// follow it until it finishes.
    func wake(watching gid: GID? = nil) {
        if let gid, !pushConnected() { _ = watched.withLock { $0.insert(gid.rawValue) } }
        wakeupContinuation.yield()
    }

    func run() async {
        var wakeupIterator = wakeups.makeAsyncIterator()
        var idle = false
        var next = ContinuousClock.now
        while !Task.isCancelled {
            if idle {
                // Wait for a wake-up; a cancelled task ends the wait with nil.
                guard await wakeupIterator.next() != nil else { return }
                next = .now
            } else {
                // Ticks are `interval` apart however long a poll takes: exactly one call per tick.
                next = max(next + interval, .now)
                do { try await Task.sleep(until: next, clock: .continuous) } catch { return }
            }
            idle = await poll() == 0
        }
    }

    /// One tick; returns how many downloads aria2 reports active.
    func poll() async -> Int {
        let active: [Aria2Status]
        let asked = ContinuousClock.now
        do {
            active = try await rpc.call("aria2.tellActive", [Aria2Status.progressKeysParameter])
        } catch {
            logger.debug("Progress poll failed", metadata: ["error": "\(error)"])
            return 1  // keep polling: aria2 may be back next tick
        }
        metrics.active.record(active.count)
        let (changed, appeared, vanished) = lastSeen.withLock { lastSeen in
            var changed: [(String, DownloadProgress)] = []
            var appeared: [Aria2Status] = []
            var current: [String: DownloadProgress] = [:]
            for status in active {
                let progress = status.progress
                current[status.gid] = progress
                if lastSeen[status.gid] == nil { appeared.append(status) }
                if lastSeen[status.gid] != progress { changed.append((status.gid, progress)) }
            }
            let vanished = lastSeen.keys.filter { current[$0] == nil }
            lastSeen = current
            return (changed, appeared, vanished)
        }
        reporter.report(changed.compactMap { gid, progress in GID(rawValue: gid).map { DownloaderEvent(gid: $0, .progress(progress)) } })
        // Newly active (a queued download got its slot): its status, which push also reports —
        // without push, this is the only report of it.
        reporter.report(
            appeared.compactMap { status in
                guard let gid = status.gidValue, let kind = Aria2Translation.statusEvent(status) else { return nil }
                return DownloaderEvent(gid: gid, kind, observedAt: asked)
            }
        )
        guard !pushConnected() else {
            watched.withLock { $0.removeAll() }
            return active.count
        }
        let activeGIDs = Set(active.map(\.gid))
        let unsettled = watched.withLock { $0.subtracting(activeGIDs) }.union(vanished)
        if !unsettled.isEmpty { await reportFate(of: Array(unsettled)) }
        return active.count + watched.withLock { $0.count }
    }

    private func reportFate(of gids: [String]) async {
        let calls = gids.map { Aria2Call("aria2.tellStatus", [.string($0), Aria2Status.keysParameter]) }
        let asked = ContinuousClock.now
        guard let results = try? await rpc.multicall(calls, as: Aria2Status.self) else { return }
        for (gid, result) in zip(gids, results) {
            switch result {
            case .success(let status):
                reporter.report(Aria2Translation.events(for: status).observed(at: asked))
                if status.status.isStopped { _ = watched.withLock { $0.remove(gid) } }
            case .failure:
                _ = watched.withLock { $0.remove(gid) }
            }
        }
    }
}
