import Foundation

/// The in-memory store's webhook targets. Its event log is a ring of fixed size, so a target
/// that falls further behind than the ring misses events (`WebhookAttempt.Outcome.missed`).
struct InMemoryWebhookTable {
    var targets: [UUID: Webhook] = [:]
    /// Oldest first.
    var order: [UUID] = []
    var attempts: [UUID: [WebhookAttempt]] = [:]
}

extension InMemoryDownloadRepo {
    public func createWebhook(_ webhook: Webhook) throws -> Webhook {
        guard webhookTable.targets[webhook.id] == nil else { throw RepoError.duplicateID(webhook.id) }
        var stored = webhook
        stored.deliveredThrough = lastSequence()
        webhookTable.targets[stored.id] = stored
        webhookTable.order.append(stored.id)
        return stored
    }

    public func webhooks() -> [Webhook] { webhookTable.order.compactMap { webhookTable.targets[$0] } }

    public func webhook(_ id: UUID) -> Webhook? { webhookTable.targets[id] }

    public func updateWebhook(_ id: UUID, _ mutate: @escaping @Sendable (inout Webhook) throws -> Void) throws -> Webhook? {
        guard var webhook = webhookTable.targets[id] else { return nil }
        try mutate(&webhook)
        webhook.id = id
        webhookTable.targets[id] = webhook
        return webhook
    }

    public func deleteWebhook(_ id: UUID) -> Webhook? {
        guard let removed = webhookTable.targets.removeValue(forKey: id) else { return nil }
        webhookTable.order.removeAll { $0 == id }
        webhookTable.attempts[id] = nil
        return removed
    }

    public func recordDeliveries(_ id: UUID, _ report: DeliveryReport) {
        guard var webhook = webhookTable.targets[id] else { return }
        if let through = report.deliveredThrough { webhook.deliveredThrough = max(webhook.deliveredThrough, through) }
        if let reason = report.pause {
            webhook.paused = true
            webhook.pausedReason = reason
        }
        webhookTable.targets[id] = webhook
        var attempts = webhookTable.attempts[id, default: []]
        attempts.append(contentsOf: report.attempts)
        if attempts.count > WebhookStoreLimits.attemptsKept { attempts.removeFirst(attempts.count - WebhookStoreLimits.attemptsKept) }
        webhookTable.attempts[id] = attempts
    }

    public func deliveries(of id: UUID, limit: Int) -> [WebhookAttempt] {
        Array(webhookTable.attempts[id, default: []].suffix(max(0, limit)).reversed())
    }
}
