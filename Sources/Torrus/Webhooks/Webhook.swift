import Foundation

/// A webhook target: where Torrus POSTs the events that pass its filter, signed with its secret.
/// Its place in the event log (`deliveredThrough`) is kept in the store, so deliveries go on from
/// there after a restart: the event log is the target's outbox.
public struct Webhook: Sendable, Equatable {
    /// Where the target came from: the API, or `TORRUS_WEBHOOKS` (changed only there).
    public enum Origin: String, Sendable {
        case api
        case environment
    }

    public var id: UUID
    public var url: String
    /// The types and downloads it wants; its types are never empty (`defaultTypes` when not given).
    public var filter: EventFilter
    public var secret: WebhookSecret
    public var origin: Origin
    /// A paused target is sent nothing until it is resumed (`PATCH {"paused": false}`).
    public var paused: Bool
    /// Why it was paused, when Torrus paused it.
    public var pausedReason: String?
    public var createdAt: Date
    /// Every event up to this sequence number was delivered, failed for good, or was not for this
    /// target. Deliveries resume after it.
    public var deliveredThrough: Int64

    public init(
        id: UUID = UUID(),
        url: String,
        filter: EventFilter,
        secret: WebhookSecret,
        origin: Origin = .api,
        paused: Bool = false,
        pausedReason: String? = nil,
        createdAt: Date = .nowMilliseconds(),
        deliveredThrough: Int64 = 0
    ) {
        self.id = id
        self.url = url
        self.filter = filter
        self.secret = secret
        self.origin = origin
        self.paused = paused
        self.pausedReason = pausedReason
        self.createdAt = createdAt
        self.deliveredThrough = deliveredThrough
    }

    /// What a target gets when it names no types: everything but `download.progress`, which can be
    /// hundreds of events a second — a receiver opts in to it.
    public static let defaultTypes = Set(EventType.subscribable).subtracting([.downloadProgress])
}
