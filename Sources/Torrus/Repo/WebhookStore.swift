import Foundation

/// Where webhook targets, their place in the event log and their recent attempts are kept
/// (issue 8). A target's deliveries resume from its `deliveredThrough` after a restart, and the
/// store keeps the events after it (while the target is not paused), so nothing committed is lost
/// on the way to a receiver that is down for a while.
public protocol WebhookStore: Sendable {
    /// Adds a target that begins with the events after the last committed one (its
    /// `deliveredThrough` is set to that), and returns it as stored.
    func createWebhook(_ webhook: Webhook) async throws -> Webhook

    /// Every target, oldest first.
    func webhooks() async throws -> [Webhook]

    func webhook(_ id: UUID) async throws -> Webhook?

    /// Reads, changes and writes a target in one write; nil if there is none.
    func updateWebhook(_ id: UUID, _ mutate: @escaping @Sendable (inout Webhook) throws -> Void) async throws -> Webhook?

    /// Removes a target and its attempts; returns it, or nil if there was none.
    func deleteWebhook(_ id: UUID) async throws -> Webhook?

    /// What a target's deliveries did since they last reported, in one write: the attempts (the
    /// newest `WebhookStoreLimits.attemptsKept` per target are kept), how far it is delivered,
    /// and a reason to pause it. Nothing happens for a deleted target.
    func recordDeliveries(_ id: UUID, _ report: DeliveryReport) async throws

    /// The newest `limit` attempts of a target, newest first.
    func deliveries(of id: UUID, limit: Int) async throws -> [WebhookAttempt]
}

/// See `WebhookStore.recordDeliveries`.
public struct DeliveryReport: Sendable, Equatable {
    public var attempts: [WebhookAttempt] = []
    public var deliveredThrough: Int64?
    public var pause: String?

    public init(attempts: [WebhookAttempt] = [], deliveredThrough: Int64? = nil, pause: String? = nil) {
        self.attempts = attempts
        self.deliveredThrough = deliveredThrough
        self.pause = pause
    }

    var isEmpty: Bool { attempts.isEmpty && deliveredThrough == nil && pause == nil }
}

public enum WebhookStoreLimits {
    /// Attempts kept per target.
    public static let attemptsKept = 1000
}
