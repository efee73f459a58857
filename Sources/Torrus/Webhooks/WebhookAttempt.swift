import Foundation

/// One attempt to deliver a message to a target, as `GET /v1/webhooks/{id}/deliveries` lists it.
public struct WebhookAttempt: Sendable, Equatable {
    public enum Outcome: String, Sendable {
        /// The receiver answered 2xx.
        case delivered
        /// It failed; another attempt follows after a backoff.
        case retrying
        /// It failed and was the last attempt: the message is given up.
        case failed
        /// Events the log dropped (retention) before the target was sent them — it was paused
        /// longer than the log keeps events. `error` says which.
        case missed
    }

    public var webhookID: UUID
    /// `webhook-id`: `evt_<sequence>`, or `test_…` for a ping.
    public var messageID: String
    public var sequence: Int64?
    public var eventType: String
    public var downloadID: UUID?
    /// 1 for the first attempt.
    public var attempt: Int
    /// When it started, microseconds since 1970.
    public var at: Int64
    public var statusCode: Int?
    public var error: String?
    public var durationMicroseconds: Int64
    public var outcome: Outcome

    public init(
        webhookID: UUID,
        messageID: String,
        sequence: Int64?,
        eventType: String,
        downloadID: UUID?,
        attempt: Int,
        at: Int64,
        statusCode: Int?,
        error: String?,
        durationMicroseconds: Int64,
        outcome: Outcome
    ) {
        self.webhookID = webhookID
        self.messageID = messageID
        self.sequence = sequence
        self.eventType = eventType
        self.downloadID = downloadID
        self.attempt = attempt
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.durationMicroseconds = durationMicroseconds
        self.outcome = outcome
    }
}
