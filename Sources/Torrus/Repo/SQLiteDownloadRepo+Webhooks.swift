import Foundation
import GRDB

/// The webhook tables (migration "v5: webhooks"): one row per target, and its newest attempts.
/// Targets change rarely; these are plain statements, not the hot path's cached ones.
extension SQLiteDownloadRepo {
    public func createWebhook(_ webhook: Webhook) async throws -> Webhook {
        try await pool.write { db in
            var stored = webhook
            stored.deliveredThrough = try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'sequence'") ?? 0
            if try Self.fetchWebhook(webhook.id, db) != nil { throw RepoError.duplicateID(webhook.id) }
            try db.execute(
                sql: """
                    INSERT INTO webhook (id, url, types, downloads, secret, origin, paused, pausedReason, createdAt, deliveredThrough)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: StatementArguments(Self.values(stored))
            )
            return stored
        }
    }

    public func webhooks() async throws -> [Webhook] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.webhookColumns) FROM webhook ORDER BY createdAt, id").map(Self.webhook)
        }
    }

    public func webhook(_ id: UUID) async throws -> Webhook? {
        try await pool.read { db in try Self.fetchWebhook(id, db) }
    }

    public func updateWebhook(_ id: UUID, _ mutate: @escaping @Sendable (inout Webhook) throws -> Void) async throws -> Webhook? {
        try await pool.write { db -> Webhook? in
            guard var webhook = try Self.fetchWebhook(id, db) else { return nil }
            try mutate(&webhook)
            webhook.id = id
            try db.execute(
                sql: """
                    UPDATE webhook SET url = ?, types = ?, downloads = ?, secret = ?, origin = ?, paused = ?, pausedReason = ?,
                    createdAt = ?, deliveredThrough = ? WHERE id = ?
                    """,
                arguments: StatementArguments(Self.values(webhook).dropFirst() + [id.lowercasedString])
            )
            return webhook
        }
    }

    public func deleteWebhook(_ id: UUID) async throws -> Webhook? {
        try await pool.write { db -> Webhook? in
            guard let webhook = try Self.fetchWebhook(id, db) else { return nil }
            try db.execute(sql: "DELETE FROM webhook WHERE id = ?", arguments: [id.lowercasedString])
            return webhook
        }
    }

    public func recordDeliveries(_ id: UUID, _ report: DeliveryReport) async throws {
        guard !report.isEmpty else { return }
        try await pool.write { db in
            let key = id.lowercasedString
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM webhook WHERE id = ?", arguments: [key]) != nil else { return }
            if let through = report.deliveredThrough {
                try db.execute(
                    sql: "UPDATE webhook SET deliveredThrough = MAX(deliveredThrough, ?) WHERE id = ?",
                    arguments: [through, key]
                )
            }
            if let reason = report.pause {
                try db.execute(sql: "UPDATE webhook SET paused = 1, pausedReason = ? WHERE id = ?", arguments: [reason, key])
            }
            guard !report.attempts.isEmpty else { return }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO webhookAttempt (webhook, messageID, sequence, eventType, download, attempt, at, statusCode, error,
                    durationMicroseconds, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            for attempt in report.attempts {
                try insert.execute(arguments: [
                    key, attempt.messageID, attempt.sequence, attempt.eventType, attempt.downloadID?.lowercasedString,
                    attempt.attempt, attempt.at, attempt.statusCode, attempt.error, attempt.durationMicroseconds,
                    attempt.outcome.rawValue,
                ])
            }
            // The newest are kept: everything below the kept-th newest goes.
            try db.execute(
                sql: """
                    DELETE FROM webhookAttempt WHERE webhook = ?1 AND id <= (
                        SELECT id FROM webhookAttempt WHERE webhook = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
                    """,
                arguments: [key, WebhookStoreLimits.attemptsKept]
            )
        }
    }

    public func deliveries(of id: UUID, limit: Int) async throws -> [WebhookAttempt] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT messageID, sequence, eventType, download, attempt, at, statusCode, error, durationMicroseconds, outcome
                    FROM webhookAttempt WHERE webhook = ? ORDER BY id DESC LIMIT ?
                    """,
                arguments: [id.lowercasedString, max(0, limit)]
            ).map { row in
                guard let outcome = WebhookAttempt.Outcome(rawValue: row[9]) else {
                    throw RepoError.corruptRow("attempt outcome \(row[9] as String)")
                }
                let download: String? = row[3]
                return WebhookAttempt(
                    webhookID: id,
                    messageID: row[0],
                    sequence: row[1],
                    eventType: row[2],
                    downloadID: download.flatMap { UUID(text: $0) },
                    attempt: row[4],
                    at: row[5],
                    statusCode: row[6],
                    error: row[7],
                    durationMicroseconds: row[8],
                    outcome: outcome
                )
            }
        }
    }

    private static let webhookColumns =
        "id, url, types, downloads, secret, origin, paused, pausedReason, createdAt, deliveredThrough"

    private static func fetchWebhook(_ id: UUID, _ db: Database) throws -> Webhook? {
        try Row.fetchOne(db, sql: "SELECT \(webhookColumns) FROM webhook WHERE id = ?", arguments: [id.lowercasedString]).map(webhook)
    }

    /// The columns' values, in `webhookColumns` order.
    private static func values(_ webhook: Webhook) -> [(any DatabaseValueConvertible)?] {
        [
            webhook.id.lowercasedString, webhook.url,
            webhook.filter.types.map(\.rawValue).sorted().joined(separator: ","),
            webhook.filter.downloads.map(\.lowercasedString).sorted().joined(separator: ","),
            webhook.secret.text, webhook.origin.rawValue, webhook.paused, webhook.pausedReason,
            webhook.createdAt.millisecondsSince1970, webhook.deliveredThrough,
        ]
    }

    private static func webhook(_ row: Row) throws -> Webhook {
        let id: String = row[0]
        let types: String = row[2]
        let downloads: String = row[3]
        let secret: String = row[4]
        let origin: String = row[5]
        var filter = EventFilter()
        for raw in types.split(separator: ",") {
            guard let type = EventType(rawValue: String(raw)) else { throw RepoError.corruptRow("webhook type \(raw)") }
            filter.types.insert(type)
        }
        for raw in downloads.split(separator: ",") {
            guard let download = UUID(text: String(raw)) else { throw RepoError.corruptRow("webhook download \(raw)") }
            filter.downloads.insert(download)
        }
        guard let uuid = UUID(text: id), let secret = WebhookSecret(text: secret), let origin = Webhook.Origin(rawValue: origin) else {
            throw RepoError.corruptRow("webhook \(id)")
        }
        return Webhook(
            id: uuid,
            url: row[1],
            filter: filter,
            secret: secret,
            origin: origin,
            paused: row[6],
            pausedReason: row[7],
            createdAt: Date(millisecondsSince1970: row[8]),
            deliveredThrough: row[9]
        )
    }
}
