import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The aria2 side of Torrus (event path: aria2 → adapter → `Reporter` → reconciler). It keeps one
/// WebSocket to aria2 for notifications (and requests), reconnecting with backoff, and turns each
/// notification into one `tellStatus` and one batch of events. Beside it run the progress poller,
/// the resyncer (on every connect and every `sweepInterval`) and the janitor (removes aria2's
/// results of downloads Torrus has recorded as finished). Its `downloader` serves the request path.
public final class Aria2Adapter: Service {
    private let settings: Aria2Settings
    private let reporter: any Reporter
    private let repo: any DownloadReader & DownloadFinder
    private let feed: ChangeFeed
    private let logger: Logger
    private let metrics: Aria2Metrics
    private let http = CurlHTTPClient()
    private let rpc: Aria2RPC
    private let poller: Aria2ProgressPoller
    private let push = PushState()
    private let resyncer: Aria2Resyncer
    private let janitor: Aria2Janitor
    private let notifications: AsyncStream<Aria2Notification>
    private let notificationContinuation: AsyncStream<Aria2Notification>.Continuation
    /// Told when the push link comes up (before the resync) or goes down.
    private let linkChanged: @Sendable (_ up: Bool) async -> Void
    let commands: Aria2Downloader

    public var downloader: any Downloader { commands }

    public init(
        settings: Aria2Settings,
        reporter: any Reporter,
        repo: any DownloadReader & DownloadFinder,
        feed: ChangeFeed,
        roots: DownloadRoots,
        metricsFactory: any MetricsFactory,
        logger: Logger,
        linkChanged: @escaping @Sendable (_ up: Bool) async -> Void = { _ in }
    ) {
        Curl.initializeOnce()
        self.linkChanged = linkChanged
        self.settings = settings
        self.reporter = reporter
        self.repo = repo
        self.feed = feed
        self.logger = logger
        metrics = Aria2Metrics(factory: metricsFactory)
        rpc = Aria2RPC(httpURL: settings.rpcURL, secret: settings.secret, timeout: settings.timeout, http: http, metrics: metrics)
        let push = self.push
        poller = Aria2ProgressPoller(
            rpc: rpc,
            reporter: reporter,
            interval: settings.pollInterval,
            metrics: metrics,
            logger: logger,
            pushConnected: { push.connected }
        )
        commands = Aria2Downloader(rpc: rpc, poller: poller, roots: roots, reporter: reporter, uploads: repo, logger: logger)
        resyncer = Aria2Resyncer(
            rpc: rpc,
            repo: repo,
            reporter: reporter,
            downloader: commands,
            poller: poller,
            interval: settings.sweepInterval,
            logger: logger
        )
        janitor = Aria2Janitor(rpc: rpc, feed: feed)
        (notifications, notificationContinuation) = AsyncStream.makeStream(of: Aria2Notification.self)
        if !Curl.supportsWebSocket {
            logger.warning(
                "libcurl \(Curl.version) has no WebSocket support: running without aria2 push, polling only. Install libcurl >= 8.11 with ws."
            )
        }
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.connectionLoop() }
            group.addTask { await self.notificationLoop() }
            group.addTask { await self.poller.run() }
            group.addTask { await self.resyncer.run() }
            group.addTask { await self.janitor.run() }
            try? await gracefulShutdown()
            // Close the socket before cancelling the group: its thread fails pending calls and
            // resumes `closed()`, so the connection loop ends on its own.
            push.stop()
            group.cancelAll()
            notificationContinuation.finish()
        }
        rpc.attach(nil)
        http.shutdown()
    }

    /// `/readyz`: aria2 must answer `getVersion` within ~300 ms.
    public func readiness() async -> DownloaderReadiness {
        let push = self.push.connected
        do {
            let version = try await rpc.call("aria2.getVersion", as: Aria2Version.self, timeout: .milliseconds(300))
            return DownloaderReadiness(ready: true, version: version.version, pushConnected: push, webSocketSupported: Curl.supportsWebSocket)
        } catch {
            return DownloaderReadiness(
                ready: false,
                error: "aria2 does not answer: \(error)",
                pushConnected: push,
                webSocketSupported: Curl.supportsWebSocket
            )
        }
    }

    // MARK: connection

    /// One WebSocket at a time; when it dies, requests fall back to HTTP at once and a new one is
    /// opened with capped, jittered backoff. Every connect starts with a resync: aria2 never
    /// replays notifications sent while nobody listened.
    private func connectionLoop() async {
        guard Curl.supportsWebSocket, settings.push else {
            await resyncer.resync(reason: "startup (polling only)")
            return
        }
        var backoff = Backoff()
        var everConnected = false
        while !Task.isCancelled {
            let rpc = self.rpc
            let continuation = notificationContinuation
            let socket = CurlWebSocket(
                url: settings.webSocketURL,
                connectTimeout: settings.timeout,
                pingInterval: settings.pingInterval,
                pongTimeout: settings.pongTimeout,
                onMessage: { message in
                    if let notification = rpc.receive(message) { continuation.yield(notification) }
                }
            )
            do {
                try await socket.connect()
            } catch {
                socket.close()
                // A managed aria2c is still starting during the first attempts: only a failure
                // that lasts (about a second of retries) is worth a warning.
                if backoff.attempt == 5 {
                    logger.warning("Cannot connect to aria2's WebSocket; retrying", metadata: ["error": "\(error)"])
                } else {
                    logger.debug("Cannot connect to aria2's WebSocket yet", metadata: ["error": "\(error)"])
                }
                do { try await Task.sleep(for: backoff.next()) } catch { return }
                continue
            }
            guard push.adopt(socket) else {
                socket.close()
                return
            }
            backoff.reset()
            if everConnected { metrics.reconnects.increment() }
            everConnected = true
            rpc.attach(socket)
            push.connected = true
            logger.info("Connected to aria2", metadata: ["url": "\(settings.webSocketURL)"])
            await linkChanged(true)
            await resyncer.resync(reason: "connected")
            let reason = await socket.closed()
            push.connected = false
            rpc.attach(nil)
            socket.close()
            // Torrus stopping is not the link failing: clients' streams end anyway.
            if Task.isCancelled || push.isStopping { return }
            await linkChanged(false)
            logger.warning("aria2 WebSocket closed; reconnecting", metadata: ["reason": "\(reason)"])
        }
    }

    // MARK: notifications

    /// A notification only says "look at this GID": ask aria2 for the truth and report that. A
    /// finished metadata transfer is followed to the real one.
    private func notificationLoop() async {
        for await notification in notifications {
            if notification.kind == .downloadStart { poller.wake() }
            await reportStatus(of: notification.gid)
        }
    }

    private func reportStatus(of gid: String) async {
        let keys = Aria2Status.keysParameter
        do {
            let asked = ContinuousClock.now
            let status: Aria2Status = try await rpc.call("aria2.tellStatus", [.string(gid), keys])
            reporter.report(Aria2Translation.events(for: status).observed(at: asked))
            if status.status == .complete, let next = status.followedBy?.first {
                let askedAgain = ContinuousClock.now
                let followed: Aria2Status = try await rpc.call("aria2.tellStatus", [.string(next), keys])
                reporter.report(Aria2Translation.events(for: followed).observed(at: askedAgain))
            } else if status.status.isStopped, status.bittorrent != nil, let owned = status.gidValue,
                (try? await repo.find(gid: owned))?.status.isTerminal == true
            {
                // A torrent that was already Complete while seeding has now stopped: the store's
                // status does not change, so the janitor never hears of it. Remove the result here.
                // Only torrents seed: any other download that stops changes status in the store,
                // and the janitor removes its result (here it was a second call for each one).
                try? await rpc.call("aria2.removeDownloadResult", [.string(gid)])
            }
        } catch let error where error.isGIDNotFound {
            return
        } catch {
            logger.warning("Cannot read a download's status from aria2", metadata: ["gid": "\(gid)", "error": "\(error)"])
        }
    }
}

/// Whether aria2's push channel is up and which socket carries it. Shared with the poller, which
/// polls harder without push.
final class PushState: Sendable {
    private let state = Mutex((connected: false, socket: CurlWebSocket?.none, stopping: false))

    /// Makes `socket` the current one; false once stopping.
    func adopt(_ socket: CurlWebSocket) -> Bool {
        state.withLock { state in
            guard !state.stopping else { return false }
            state.socket = socket
            return true
        }
    }

    /// Closes the current socket for good.
    func stop() {
        let socket = state.withLock { state in
            state.stopping = true
            defer { state.socket = nil }
            return state.socket
        }
        socket?.close()
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    var connected: Bool {
        get { state.withLock { $0.connected } }
        set { state.withLock { $0.connected = newValue } }
    }
}
