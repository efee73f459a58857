import Foundation

/// The rules of `/v1/webhooks`: what a target may be, who may change it, and the test ping. The
/// deliveries themselves are `WebhookDeliveries`', which hears of every change here.
public struct WebhookService: Sendable {
    let deliveries: WebhookDeliveries
    private var store: any WebhookStore & EventLog { deliveries.store }

    public init(deliveries: WebhookDeliveries) {
        self.deliveries = deliveries
    }

    /// Targets at most: each has a dispatcher of its own.
    static let maxTargets = 100

    /// A new target with a new secret (the only time the secret is shown), sent the events
    /// committed from now on.
    func create(url: String, types: [String]?, downloads: [String]?) async throws -> Webhook {
        guard try await store.webhooks().count < Self.maxTargets else {
            throw TorrusError.conflict("There are \(Self.maxTargets) webhook targets, as many as allowed; delete one first.")
        }
        let webhook = Webhook(
            url: try WebhookURL.validate(url),
            filter: try WebhookFilter.parse(types: types, downloads: downloads),
            secret: .generate()
        )
        let stored = try await store.createWebhook(webhook)
        try await deliveries.reload(stored.id)
        return stored
    }

    func list() async throws -> [Webhook] { try await store.webhooks() }

    func get(_ id: UUID) async throws -> Webhook {
        guard let webhook = try await store.webhook(id) else { throw Self.notFound(id) }
        return webhook
    }

    /// Changes what was given; resuming a paused target clears why it was paused. A target of
    /// `TORRUS_WEBHOOKS` can only be paused and resumed here.
    func update(_ id: UUID, _ patch: WebhookPatch) async throws -> Webhook {
        let current = try await get(id)
        if current.origin == .environment, patch.url != nil || patch.types != nil || patch.downloads != nil {
            throw TorrusError.conflict("This target comes from TORRUS_WEBHOOKS; change it there. Only 'paused' can be changed here.")
        }
        let url = try patch.url.map(WebhookURL.validate)
        let given = try WebhookFilter.parse(types: patch.types, downloads: patch.downloads)
        let types = patch.types == nil ? nil : given.types
        let downloads = patch.downloads == nil ? nil : given.downloads
        let paused = patch.paused
        guard
            let updated = try await store.updateWebhook(
                id,
                { webhook in
                    if let url { webhook.url = url }
                    if let types { webhook.filter.types = types }
                    if let downloads { webhook.filter.downloads = downloads }
                    if let paused {
                        webhook.paused = paused
                        webhook.pausedReason = paused ? "Paused through the API." : nil
                    }
                }
            )
        else { throw Self.notFound(id) }
        try await deliveries.reload(id)
        return updated
    }

    func delete(_ id: UUID) async throws {
        let current = try await get(id)
        if current.origin == .environment {
            throw TorrusError.conflict("This target comes from TORRUS_WEBHOOKS; remove it there.")
        }
        guard try await store.deleteWebhook(id) != nil else { throw Self.notFound(id) }
        try await deliveries.reload(id)
    }

    func attempts(_ id: UUID, limit: Int) async throws -> [WebhookAttempt] {
        _ = try await get(id)
        return try await store.deliveries(of: id, limit: limit)
    }

    /// Sends a `webhook.test` message once, now (also to a paused target: to see whether its
    /// receiver is back), and records the attempt.
    func test(_ id: UUID) async throws -> WebhookAttempt {
        let webhook = try await get(id)
        let now = Date.nowMicroseconds()
        let message = (id: "test_\(UUID().lowercasedString)", body: WebhookMessage.ping(webhook: webhook, at: now))
        guard var attempt = await deliveries.poster.attempt(message, to: webhook, event: (nil, "webhook.test", nil), number: 1) else {
            throw CancellationError()
        }
        // A ping is not retried.
        if attempt.outcome == .retrying { attempt.outcome = .failed }
        try await store.recordDeliveries(id, DeliveryReport(attempts: [attempt]))
        return attempt
    }

    private static func notFound(_ id: UUID) -> TorrusError {
        .notFound("There is no webhook target \(id.lowercasedString).")
    }
}

/// What `PATCH /v1/webhooks/{id}` may change; nil leaves it as it is.
struct WebhookPatch: Sendable {
    var url: String?
    var types: [String]?
    var downloads: [String]?
    var paused: Bool?
}
