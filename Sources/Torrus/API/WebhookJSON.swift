import Foundation

/// A target as the API shows it. The secret is there only in the answer to its creation.
struct WebhookJSON: Encodable {
    let webhook: Webhook
    var showSecret = false

    private enum Keys: String, CodingKey {
        case id, url, types, downloads, origin, paused, pausedReason, createdAt, deliveredThrough, secret
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(webhook.id.lowercasedString, forKey: .id)
        try container.encode(webhook.url, forKey: .url)
        try container.encode(webhook.filter.types.map(\.rawValue).sorted(), forKey: .types)
        try container.encode(webhook.filter.downloads.map(\.lowercasedString).sorted(), forKey: .downloads)
        try container.encode(webhook.origin.rawValue, forKey: .origin)
        try container.encode(webhook.paused, forKey: .paused)
        try container.encode(webhook.pausedReason, forKey: .pausedReason)
        try container.encode(RFC3339.string(webhook.createdAt), forKey: .createdAt)
        try container.encode(webhook.deliveredThrough, forKey: .deliveredThrough)
        if showSecret { try container.encode(webhook.secret.text, forKey: .secret) }
    }
}

/// One attempt as `GET /v1/webhooks/{id}/deliveries` lists it.
struct WebhookAttemptJSON: Encodable {
    let attempt: WebhookAttempt

    private enum Keys: String, CodingKey {
        case messageId, sequence, type, download, attempt, at, statusCode, error, durationMs, outcome
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(attempt.messageID, forKey: .messageId)
        try container.encode(attempt.sequence, forKey: .sequence)
        try container.encode(attempt.eventType, forKey: .type)
        try container.encode(attempt.downloadID?.lowercasedString, forKey: .download)
        try container.encode(attempt.attempt, forKey: .attempt)
        var at: [UInt8] = []
        RFC3339.append(microsecondsSince1970: attempt.at, to: &at)
        try container.encode(String(decoding: at, as: UTF8.self), forKey: .at)
        try container.encode(attempt.statusCode, forKey: .statusCode)
        try container.encode(attempt.error, forKey: .error)
        try container.encode(Double(attempt.durationMicroseconds) / 1000, forKey: .durationMs)
        try container.encode(attempt.outcome.rawValue, forKey: .outcome)
    }
}
