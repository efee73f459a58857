import Foundation
import Testing

@testable import Torrus

/// Webhook targets in both stores: where a new one starts, changes, attempts kept, and the event
/// log kept for a target that still has events to be sent.
@Suite struct WebhookStoreTests {
    let download = UUID()

    func attempt(_ webhook: UUID, _ sequence: Int64, _ outcome: WebhookAttempt.Outcome = .delivered) -> WebhookAttempt {
        WebhookAttempt(
            webhookID: webhook,
            messageID: "evt_\(sequence)",
            sequence: sequence,
            eventType: "download.status",
            downloadID: download,
            attempt: 1,
            at: 1,
            statusCode: 204,
            error: nil,
            durationMicroseconds: 1500,
            outcome: outcome
        )
    }

    @Test(arguments: StoreKind.allCases) func aTargetStartsAfterTheLastEventAndKeepsItsPlace(_ kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        for _ in 0..<3 { _ = try await store.insert(makeDownload()) }
        let given = Webhook(url: "http://127.0.0.1:9/a", filter: EventFilter(types: [.downloadStatus], downloads: [UUID()]), secret: .generate())
        let created = try await store.createWebhook(given)
        #expect(created.deliveredThrough == 3)
        #expect(try await store.webhook(given.id) == created)
        await #expect(throws: RepoError.self) { try await store.createWebhook(given) }

        try await store.recordDeliveries(given.id, DeliveryReport(attempts: [attempt(given.id, 4)], deliveredThrough: 5))
        try await store.recordDeliveries(given.id, DeliveryReport(deliveredThrough: 4))
        #expect(try await store.webhook(given.id)?.deliveredThrough == 5, "never moves back")
        let updated = try await store.updateWebhook(given.id) { $0.url = "http://127.0.0.1:9/b" }
        #expect(updated?.url == "http://127.0.0.1:9/b" && updated?.deliveredThrough == 5 && updated?.secret == given.secret)
        try await store.recordDeliveries(given.id, DeliveryReport(pause: "because"))
        let paused = try await store.webhook(given.id)
        #expect(paused?.paused == true && paused?.pausedReason == "because")
        #expect(try await store.deliveries(of: given.id, limit: 10) == [attempt(given.id, 4)])
        #expect(try await store.webhooks().map(\.id) == [given.id])

        #expect(try await store.deleteWebhook(given.id)?.id == given.id)
        #expect(try await store.webhook(given.id) == nil)
        #expect(try await store.deliveries(of: given.id, limit: 10).isEmpty)
        try await store.recordDeliveries(given.id, DeliveryReport(attempts: [attempt(given.id, 6)]))
        #expect(try await store.deliveries(of: given.id, limit: 10).isEmpty, "nothing is recorded for a deleted target")
    }

    @Test(arguments: StoreKind.allCases) func theNewestAttemptsAreKept(_ kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let webhook = try await store.createWebhook(Webhook(url: "http://127.0.0.1:9/a", filter: EventFilter(), secret: .generate()))
        let total = WebhookStoreLimits.attemptsKept + 50
        for start in stride(from: 1, through: total, by: 100) {
            let batch = (start..<min(start + 100, total + 1)).map { attempt(webhook.id, Int64($0)) }
            try await store.recordDeliveries(webhook.id, DeliveryReport(attempts: batch))
        }
        let kept = try await store.deliveries(of: webhook.id, limit: 2000)
        #expect(kept.count == WebhookStoreLimits.attemptsKept)
        #expect(kept.first?.sequence == Int64(total) && kept.last?.sequence == 51, "newest first")
        #expect(try await store.deliveries(of: webhook.id, limit: 2).map(\.sequence) == [Int64(total), Int64(total - 1)])
    }

    @Test func theLogKeepsWhatATargetStillNeedsUnlessItIsPaused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON, eventRetention: EventRetention(count: 20))
        defer { try? store.close() }
        _ = try await store.insert(makeDownload())
        let webhook = try await store.createWebhook(Webhook(url: "http://127.0.0.1:9/a", filter: EventFilter(), secret: .generate()))
        #expect(webhook.deliveredThrough == 1)
        for _ in 0..<60 { _ = try await store.insert(makeDownload()) }
        #expect(try await store.events(after: 1, limit: 100).events.count == 60, "all owed to the target")

        try await store.recordDeliveries(webhook.id, DeliveryReport(deliveredThrough: 30))
        for _ in 0..<10 { _ = try await store.insert(makeDownload()) }
        let page = try await store.events(after: 0, limit: 100)
        #expect(page.oldest == 31, "pruned up to what the target was sent")

        try await store.recordDeliveries(webhook.id, DeliveryReport(pause: "paused"))
        for _ in 0..<10 { _ = try await store.insert(makeDownload()) }
        let paused = try await store.events(after: 0, limit: 100)
        #expect(paused.events.count <= 22, "a paused target holds nothing back: \(paused.events.count)")
    }
}
