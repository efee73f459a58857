import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

#if canImport(Glibc)
    import Glibc
#endif

/// Webhooks from the outside: a real aria2 download, a local receiver that verifies every
/// signature with the `standardwebhooks` package (PyPI) and fails when told to, and torrusd
/// itself killed with deliveries pending.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct WebhookDeliveryTests {
    /// What the receiver got, one entry per message id (a message may arrive more than once).
    static func messages(_ received: ReceivedWebhooks) -> [String: ReceivedWebhook] {
        Dictionary(received.received.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The log's events for the default types, from the SSE stream.
    static func expectedIDs(_ events: [SSEClient.Event]) -> Set<String> {
        Set(events.filter { $0.id != nil && $0.type != "download.progress" }.map { "evt_\($0.id!)" })
    }

    @Test func aReceiverThatFailsAtFirstGetsEveryEventOfARealDownloadInOrder() async throws {
        let secret = WebhookSecret.generate().text
        let receiver = try WebhookReceiver.start(secret: secret, failFirst: 3)
        defer { receiver.stop() }
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        var configuration = try harness.configuration()
        configuration.webhooks = try ConfiguredWebhook.parse(#"[{"url":"\#(receiver.url)","secret":"\#(secret)"}]"#)
        configuration.webhookPolicy.retryBase = .milliseconds(50)
        try await buildApplication(configuration, logger: harness.logs.logger()).test(.live) { client in
            let port = try #require(client.port)
            let log = try await EventStreamTests.open(port: port, after: 0)
            defer { log.close() }
            let source = harness.peers.fileURL(name: "hook.bin", size: 256 << 10, rate: 128 << 10)
            let id = try await API.create(client, Aria2IntegrationTests.body(source))
            try await eventually(timeout: .seconds(40), "Complete on the stream") {
                log.events.contains { $0.type == "download.status" && $0.json["to"] as? String == "Complete" }
            }
            // The download's events; the push link's may come before the target was adopted.
            let expected = Self.expectedIDs(log.events.filter { $0.json["id"] as? String == id })
            var received = try await receiver.received()
            func delivered() -> Set<String> { Set(Self.messages(received).values.filter { $0.body.data.id == id }.map(\.id)) }
            try await eventually(timeout: .seconds(20), "every event at the receiver") {
                received = try await receiver.received()
                return delivered().isSuperset(of: expected)
            }
            #expect(received.failed == 3 && received.invalid == 0, "\(received.invalidReasons)")
            #expect(delivered() == expected, "nothing but the log's events")
            // Arrival order of one download's messages (first arrivals) is the log's order.
            var firstArrivals: [Int64] = []
            for message in received.received where message.body.data.id == id {
                if let sequence = message.body.sequence, !firstArrivals.contains(sequence) { firstArrivals.append(sequence) }
            }
            #expect(firstArrivals == firstArrivals.sorted() && !firstArrivals.isEmpty, "\(firstArrivals)")
            let last = try #require(received.received.last { $0.body.type == "download.status" && $0.body.data.id == id })
            #expect(last.body.data.to == "Complete" && last.body.data.download?.status == "Complete")

            let targets =
                try JSONSerialization.jsonObject(
                    with: Data(buffer: try await client.execute(uri: "/v1/webhooks", method: .get, headers: API.headers).body)
                ) as? [[String: Any]]
            let target = try #require(targets?.first?["id"] as? String)
            let attempts =
                try JSONSerialization.jsonObject(
                    with: Data(
                        buffer: try await client.execute(uri: "/v1/webhooks/\(target)/deliveries?limit=1000", method: .get, headers: API.headers).body
                    )
                ) as? [[String: Any]]
            #expect(attempts?.filter { $0["outcome"] as? String == "retrying" && $0["statusCode"] as? Int == 500 }.count == 3)
        }
    }

    @Test func aKillWithDeliveriesPendingLosesNone() async throws {
        let secret = WebhookSecret.generate().text
        let receiver = try WebhookReceiver.start(secret: secret)
        defer { receiver.stop() }
        try await receiver.control(fail: -1)
        let data = try TemporaryDirectory()
        defer { data.remove() }
        let environment = [
            "TORRUS_API_TOKEN": API.token, "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data.path, "TORRUS_CLIENT": "noop",
            "TORRUS_NOOP_DURATION_MS": "0", "TORRUS_WEBHOOK_RETRY_BASE_MS": "100", "TORRUS_WEBHOOK_RETRY_MAX_MS": "300",
            "TORRUS_WEBHOOK_MAX_ATTEMPTS": "100",
            "TORRUS_WEBHOOKS": #"[{"url":"\#(receiver.url)","secret":"\#(secret)","types":["download.created","download.status"]}]"#,
        ]
        let http = CurlHTTPClient()
        defer { http.shutdown() }

        let first = try TorrusdProcessTests.start(environment)
        defer { if first.process.isRunning { first.process.terminate() } }
        var port = try await TorrusdProcessTests.listeningPort(first)
        let log = try await EventStreamTests.open(port: port, after: 0)
        try await EventStreamRestartTests.create(http, port: port, count: 4, tag: "pending")
        try await eventually("the downloads to complete") {
            log.events.count { $0.type == "download.status" && $0.json["to"] as? String == "Complete" } == 4
        }
        let expected = Self.expectedIDs(log.events.filter { $0.type != "download.meta" })
        log.close()
        try await eventually("several failed attempts") { try await receiver.received().failed >= 8 }
        kill(first.process.processIdentifier, SIGKILL)
        try await TorrusdProcessTests.waitForExit(first.process)
        #expect(try await receiver.received().received.isEmpty)

        try await receiver.control(fail: 0)
        let second = try TorrusdProcessTests.start(environment)
        defer { if second.process.isRunning { second.process.terminate() } }
        port = try await TorrusdProcessTests.listeningPort(second)
        var received = try await receiver.received()
        try await eventually(timeout: .seconds(20), "every event after the restart") {
            received = try await receiver.received()
            return Set(Self.messages(received).keys) == expected
        }
        #expect(received.invalid == 0, "\(received.invalidReasons)")
        #expect(!second.text.contains(secret) && !first.text.contains(secret), "the secret is never logged")
        kill(second.process.processIdentifier, SIGTERM)
        try await TorrusdProcessTests.waitForExit(second.process)
        #expect(second.process.terminationStatus == 0)
    }

    @Test func aRedirectIsNotFollowed() async throws {
        let secret = WebhookSecret.generate().text
        let receiver = try WebhookReceiver.start(secret: secret, failFirst: 1, failStatus: 307)
        defer { receiver.stop() }
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let app = try EventStreamTests.noopApp(
            root,
            [
                "TORRUS_WEBHOOK_RETRY_BASE_MS": "50",
                "TORRUS_WEBHOOKS": #"[{"url":"\#(receiver.url)","secret":"\#(secret)","types":["download.created"]}]"#,
            ]
        )
        try await app.test(.live) { client in
            var id = ""
            try await eventually("the configured target") {
                let body = try await client.execute(uri: "/v1/webhooks", method: .get, headers: API.headers).body
                let targets = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]]
                id = targets?.first?["id"] as? String ?? ""
                return !id.isEmpty
            }
            let _ = try await API.create(client, #"{"source":"http://127.0.0.1:1/r.bin"}"#)
            var attempts: [[String: Any]] = []
            try await eventually("delivered on the second attempt") {
                let body = try await client.execute(uri: "/v1/webhooks/\(id)/deliveries", method: .get, headers: API.headers).body
                attempts = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [[String: Any]] ?? []
                return attempts.first?["outcome"] as? String == "delivered"
            }
            #expect(attempts.last?["statusCode"] as? Int == 307)
            #expect((attempts.last?["error"] as? String)?.contains("redirects are not followed") == true)
            let received = try await receiver.received()
            #expect(received.requests == 2 && received.received.count == 1, "the Location was not visited")
        }
    }
}
