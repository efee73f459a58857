import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The webhook service: one `WebhookDispatcher` per target that is not paused, woken on every
/// store write (the change feed), restarted when the API changes its target. At start it brings
/// the targets of `TORRUS_WEBHOOKS` into the store. Runs until graceful shutdown; what is in flight
/// then is sent again at the next start.
public final class WebhookDeliveries: Service, Sendable {
    private struct Running {
        var task: Task<Void, Never>
        var inbox: WebhookInbox
    }

    private struct State {
        var started = false
        var stopped = false
        var dispatchers: [UUID: Running] = [:]
    }

    let store: any WebhookStore & EventLog
    let poster: WebhookPoster
    private let feed: ChangeFeed
    private let configured: [ConfiguredWebhook]
    private let logger: Logger
    private let state = Mutex(State())

    init(
        store: any WebhookStore & EventLog,
        feed: ChangeFeed,
        sender: any WebhookSender,
        policy: WebhookPolicy,
        configured: [ConfiguredWebhook],
        logger: Logger
    ) {
        self.store = store
        self.feed = feed
        self.poster = WebhookPoster(sender: sender, policy: policy)
        self.configured = configured
        self.logger = logger
    }

    public func run() async throws {
        let writes = feed.subscribeBatches(buffer: 1)
        try await adoptConfigured()
        let targets = try await store.webhooks()
        state.withLock { $0.started = true }
        for webhook in targets where !webhook.paused { start(webhook) }
        for await _ in writes.cancelOnGracefulShutdown() {
            let running = state.withLock { Array($0.dispatchers.values) }
            for dispatcher in running { dispatcher.inbox.wake() }
        }
        // The feed also ends when the event path stops, before this service is told to.
        try? await gracefulShutdown()
        let running = state.withLock { state in
            state.stopped = true
            defer { state.dispatchers = [:] }
            return Array(state.dispatchers.values)
        }
        for dispatcher in running { dispatcher.task.cancel() }
        for dispatcher in running { await dispatcher.task.value }
    }

    /// Picks up a change to a target made through the API: its dispatcher stops (what it had in
    /// flight is sent again), and a new one starts from the stored target unless it is paused or gone.
    func reload(_ id: UUID) async throws {
        if let old = state.withLock({ $0.dispatchers.removeValue(forKey: id) }) {
            old.task.cancel()
            await old.task.value
        }
        guard let webhook = try await store.webhook(id), !webhook.paused else { return }
        start(webhook)
    }

    private func start(_ webhook: Webhook) {
        let inbox = WebhookInbox()
        var dispatcherLogger = logger
        dispatcherLogger[metadataKey: "webhook"] = "\(webhook.id)"
        let dispatcher = WebhookDispatcher(webhook: webhook, store: store, poster: poster, logger: dispatcherLogger)
        state.withLock { state in
            guard state.started, !state.stopped, state.dispatchers[webhook.id] == nil else { return }
            let task = Task {
                await dispatcher.run(inbox: inbox)
                // Wake-ups for a dispatcher that ended (paused) are dropped.
                inbox.close()
            }
            state.dispatchers[webhook.id] = Running(task: task, inbox: inbox)
        }
    }

    /// Makes the store's environment targets those of `TORRUS_WEBHOOKS`: new ones start with the
    /// events after the last one, changed ones keep their place, pause and attempts, and those no
    /// longer configured are removed.
    private func adoptConfigured() async throws {
        let wanted = Dictionary(configured.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for webhook in try await store.webhooks() where webhook.origin == .environment && wanted[webhook.id] == nil {
            _ = try await store.deleteWebhook(webhook.id)
            logger.info("Removed a webhook target no longer in TORRUS_WEBHOOKS", metadata: ["webhook": "\(webhook.id)"])
        }
        for (id, target) in wanted {
            let updated = try await store.updateWebhook(id) { webhook in
                webhook.url = target.url
                webhook.secret = target.secret
                webhook.filter = target.filter
                webhook.origin = .environment
            }
            if updated == nil {
                _ = try await store.createWebhook(
                    Webhook(id: id, url: target.url, filter: target.filter, secret: target.secret, origin: .environment)
                )
            }
        }
    }
}
