import Crypto
import Foundation
import Testing

/// The webhook receiver the delivery tests rely on (`Tests/Support/webhookreceiver.py`): it
/// fails on demand first, rejects what is not correctly signed and keeps what is.
@Suite struct WebhookReceiverTests {
    static let key = Array("0123456789abcdef0123456789abcdef".utf8)
    static let secret = "whsec_" + Data(key).base64EncodedString()

    static let body = Array(
        #"{"data":{"download":{"id":"d-1","status":"active"},"from":"queued","id":"d-1","to":"active"},"sequence":42,"timestamp":"2026-12-02T10:00:00.123456Z","type":"download.status"}"#
            .utf8
    )

    /// Standard Webhooks headers: HMAC-SHA256 of "<id>.<timestamp>.<body>" with the secret's key.
    static func signedHeaders(id: String, body: [UInt8], key: [UInt8] = key) -> [String] {
        let timestamp = Int(Date().timeIntervalSince1970)
        let signed = Array("\(id).\(timestamp).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: key))
        return [
            "webhook-id: \(id)", "webhook-timestamp: \(timestamp)",
            "webhook-signature: v1,\(Data(mac).base64EncodedString())",
        ]
    }

    @Test(.timeLimit(.minutes(1)))
    func failsFirstThenKeepsOnlyCorrectlySignedDeliveries() async throws {
        let receiver = try WebhookReceiver.start(secret: Self.secret, failFirst: 1)
        defer { receiver.stop() }
        #expect(receiver.url == "http://127.0.0.1:\(receiver.port)/hook")

        let headers = Self.signedHeaders(id: "evt_42", body: Self.body)
        #expect(try await receiver.post(path: "/hook", body: Self.body, headers: headers).status == 500)
        #expect(try await receiver.post(path: "/hook", body: Self.body, headers: headers).status == 204)
        #expect(try await receiver.post(path: "/hook", body: Self.body).status == 400)
        let wrongKey = Self.signedHeaders(id: "evt_42", body: Self.body, key: Array("another key".utf8))
        #expect(try await receiver.post(path: "/hook", body: Self.body, headers: wrongKey).status == 400)

        let state = try await receiver.received()
        #expect(state.requests == 4)
        #expect(state.failed == 1)
        #expect(state.invalid == 2)
        #expect(state.invalidReasons.count == 2)
        try #require(state.received.count == 1)
        let delivery = state.received[0]
        #expect(delivery.id == "evt_42")
        #expect(abs(delivery.timestamp - Int(Date().timeIntervalSince1970)) < 60)
        #expect(delivery.path == "/hook")
        #expect(delivery.body.type == "download.status")
        #expect(delivery.body.sequence == 42)
        #expect(delivery.body.timestamp == "2026-12-02T10:00:00.123456Z")
        #expect(delivery.body.data.id == "d-1")
        #expect(delivery.body.data.from == "queued")
        #expect(delivery.body.data.to == "active")
        #expect(delivery.body.data.download?.status == "active")

        try await receiver.reset()
        let cleared = try await receiver.received()
        #expect(cleared.received.isEmpty && cleared.requests == 0 && cleared.failed == 0 && cleared.invalid == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func controlSetsFailuresAndDelay() async throws {
        let receiver = try WebhookReceiver.start(secret: Self.secret)
        defer { receiver.stop() }
        let ping = Array(#"{"data":{},"timestamp":"2026-12-02T10:00:00.000000Z","type":"webhook.test"}"#.utf8)

        try await receiver.control(fail: -1, failStatus: 307)
        for _ in 0..<3 {
            let headers = Self.signedHeaders(id: "evt_test", body: ping)
            #expect(try await receiver.post(path: "/hook", body: ping, headers: headers).status == 307)
        }
        try await receiver.control(fail: 0, delayMilliseconds: 200)
        let started = ContinuousClock.now
        let headers = Self.signedHeaders(id: "evt_test", body: ping)
        #expect(try await receiver.post(path: "/hook/test", body: ping, headers: headers).status == 204)
        #expect(ContinuousClock.now - started >= .milliseconds(190))

        let state = try await receiver.waitForReceived(1)
        #expect(state.requests == 4 && state.failed == 3 && state.invalid == 0)
        #expect(state.received.map(\.path) == ["/hook/test"])
        #expect(state.received.first?.body.type == "webhook.test")
        #expect(state.received.first?.body.sequence == nil)
        #expect(state.received.first?.body.data.download == nil)
    }
}
