import Foundation
import Logging
import Synchronization
import Testing

@testable import Torrus

/// A receiver in memory: answers each request with what `answer` says for its number (0-based).
final class ScriptedSender: WebhookSender {
    struct Request: Sendable {
        let url: String
        let body: [UInt8]
        let headers: [String]
        var messageID: String { headers.first { $0.hasPrefix("webhook-id: ") }.map { String($0.dropFirst(12)) } ?? "" }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]) ?? [:] }
    }

    private let requests = Mutex<[Request]>([])
    private let answer: @Sendable (Int) -> Int

    init(answer: @escaping @Sendable (Int) -> Int = { _ in 204 }) {
        self.answer = answer
    }

    var received: [Request] { requests.withLock { $0 } }

    func send(url: String, body: [UInt8], headers: [String], timeout: Duration) async throws -> Int {
        let number = requests.withLock { requests in
            requests.append(Request(url: url, body: body, headers: headers))
            return requests.count - 1
        }
        return answer(number)
    }
}

@Suite struct WebhookDispatcherTests {
    let logs = CapturedLogs()

    static var fastPolicy: WebhookPolicy {
        var policy = WebhookPolicy()
        policy.retryBase = .milliseconds(5)
        policy.maxDelay = .milliseconds(20)
        return policy
    }

    /// Runs a dispatcher for `webhook` until `body` returns; wakes it after every store write.
    func dispatching(
        _ webhook: Webhook,
        store: any DownloadStore,
        sender: ScriptedSender,
        policy: WebhookPolicy = fastPolicy,
        _ body: () async throws -> Void
    ) async throws {
        let inbox = WebhookInbox()
        store.reportCommits { _ in inbox.wake() }
        let dispatcher = WebhookDispatcher(
            webhook: webhook,
            store: store,
            poster: WebhookPoster(sender: sender, policy: policy),
            logger: logs.logger(),
            reportEvery: .milliseconds(10)
        )
        let task = Task { await dispatcher.run(inbox: inbox) }
        defer { task.cancel() }
        try await body()
        task.cancel()
        await task.value
    }

    func target(_ store: any DownloadStore, types: Set<EventType> = Webhook.defaultTypes) async throws -> Webhook {
        try await store.createWebhook(
            Webhook(url: "http://127.0.0.1:9/hook", filter: EventFilter(types: types), secret: .generate())
        )
    }

    @Test func aReceiverThatFailsAtFirstGetsEveryEventInOrderOnceItRecovers() async throws {
        let store: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let webhook = try await target(store)
        let sender = ScriptedSender { $0 < 6 ? 503 : 204 }
        let downloads = [makeDownload(), makeDownload()]
        try await dispatching(webhook, store: store, sender: sender) {
            for download in downloads {
                _ = try await store.insert(download)
                _ = try await store.update(download.id) { $0.status = .active }
                _ = try await store.update(download.id) { $0.progress.completedLength = 7 }
                _ = try await store.update(download.id) { $0.status = .complete }
            }
            try await eventually("every status event delivered") {
                try await store.webhook(webhook.id)?.deliveredThrough == 8
            }
        }
        let delivered = sender.received.filter { _ in true }
        let attempts = try await store.deliveries(of: webhook.id, limit: 100)
        let deliveredIDs = attempts.filter { $0.outcome == .delivered }.map(\.messageID)
        #expect(Set(deliveredIDs) == ["evt_1", "evt_2", "evt_4", "evt_5", "evt_6", "evt_8"], "progress is not a default type")
        #expect(attempts.contains { $0.outcome == .retrying && $0.statusCode == 503 && $0.error == "HTTP 503" })
        for download in downloads {
            let mine = delivered.filter { ($0.json["data"] as? [String: Any])?["id"] as? String == download.id.lowercasedString }
            let firstArrivals = mine.map(\.messageID).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            let sequences = firstArrivals.compactMap { Int($0.dropFirst(4)) }
            #expect(sequences == sequences.sorted(), "one download's messages in order: \(sequences)")
        }
        let request = try #require(sender.received.last)
        let timestamp = try #require(request.headers.first { $0.hasPrefix("webhook-timestamp: ") }.flatMap { Int64($0.dropFirst(19)) })
        #expect(
            request.headers.contains(
                "webhook-signature: "
                    + WebhookSignature.sign(messageID: request.messageID, timestamp: timestamp, body: request.body, key: webhook.secret.key)
            )
        )
    }

    @Test func aTargetThatKeepsFailingIsPausedAndSaysWhy() async throws {
        let store: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let webhook = try await target(store, types: [.downloadCreated])
        let sender = ScriptedSender { _ in 500 }
        var policy = Self.fastPolicy
        policy.maxAttempts = 2
        policy.pauseAfter = 3
        policy.concurrency = 1  // one message at a time: which are given up on is certain
        try await dispatching(webhook, store: store, sender: sender, policy: policy) {
            for _ in 0..<5 { _ = try await store.insert(makeDownload()) }
            try await eventually("the target to be paused") { try await store.webhook(webhook.id)?.paused == true }
        }
        let paused = try #require(try await store.webhook(webhook.id))
        #expect(paused.pausedReason?.contains("3 messages in a row failed after 2 attempts each") == true, "\(paused.pausedReason ?? "")")
        #expect(paused.pausedReason?.contains("HTTP 500") == true)
        let attempts = try await store.deliveries(of: webhook.id, limit: 100)
        #expect(attempts.filter { $0.outcome == .failed }.map(\.messageID) == ["evt_3", "evt_2", "evt_1"])
        #expect(attempts.count == 6, "two attempts each")
        #expect(paused.deliveredThrough == 3, "4 and 5 are owed when the target resumes")

        // Resumed (a new dispatcher from the stored target), with the receiver back: what was owed.
        let recovered = ScriptedSender()
        try await dispatching(paused, store: store, sender: recovered, policy: policy) {
            try await eventually("the owed messages") { try await store.webhook(webhook.id)?.deliveredThrough == 5 }
        }
        #expect(recovered.received.map(\.messageID) == ["evt_4", "evt_5"])
    }

    @Test func aRedirectIsAFailedAttemptNotFollowed() async throws {
        let store: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let webhook = try await target(store, types: [.downloadCreated])
        let sender = ScriptedSender { $0 == 0 ? 302 : 204 }
        try await dispatching(webhook, store: store, sender: sender) {
            _ = try await store.insert(makeDownload())
            try await eventually("delivered") { try await store.webhook(webhook.id)?.deliveredThrough == 1 }
        }
        #expect(sender.received.count == 2 && Set(sender.received.map(\.url)) == [webhook.url])
        let attempts = try await store.deliveries(of: webhook.id, limit: 10)
        #expect(attempts.last?.error == "HTTP 302: redirects are not followed")
    }

    @Test func eventsTheLogDroppedAreReportedMissed() async throws {
        let store: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON, eventCapacity: 5)
        let webhook = try await target(store, types: [.downloadCreated])
        for _ in 0..<13 { _ = try await store.insert(makeDownload()) }
        let sender = ScriptedSender()
        try await dispatching(webhook, store: store, sender: sender) {
            try await eventually("caught up") { try await store.webhook(webhook.id)?.deliveredThrough == 13 }
        }
        let attempts = try await store.deliveries(of: webhook.id, limit: 100)
        let missed = try #require(attempts.first { $0.outcome == .missed })
        #expect(missed.error?.contains("Events 1 to 8") == true, "\(missed.error ?? "")")
        #expect(Set(sender.received.map(\.messageID)) == Set((9...13).map { "evt_\($0)" }))
    }
}
