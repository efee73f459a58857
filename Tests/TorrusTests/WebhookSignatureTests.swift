import Foundation
import Testing

@testable import Torrus

/// Standard Webhooks signing, secrets and the message body.
@Suite struct WebhookSignatureTests {
    /// The convention's own test vector (standard-webhooks' libraries test against it).
    @Test func signsLikeTheStandardsTestVector() throws {
        let secret = try #require(WebhookSecret(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8),
            key: secret.key
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func generatedSecretsAreNewEachTimeAndNeverPrinted() throws {
        let one = WebhookSecret.generate()
        let two = WebhookSecret.generate()
        #expect(one != two)
        #expect(one.text.hasPrefix("whsec_") && one.key.count == 32)
        #expect(WebhookSecret(text: one.text) == one, "what is shown once reads back")
        #expect("\(one)" == "whsec_(redacted)" && !"\([one])".contains(one.text))
        let webhook = Webhook(url: "http://127.0.0.1/hook", filter: EventFilter(), secret: one)
        #expect(!"\(webhook)".contains(one.text), "a target printed in a log keeps its secret")
    }

    @Test(arguments: ["", "whsec_", "secret", "whsec_!!!!", "whsec_c2hvcnQ=", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
    func malformedSecretsAreRefused(_ text: String) {
        #expect(WebhookSecret(text: text) == nil)
    }

    @Test func theBodyIsTheEventInTheStandardShape() throws {
        let event = LoggedEvent(
            sequence: 42,
            type: .downloadStatus,
            downloadID: UUID(),
            at: 1_764_633_600_123_456,
            data: Array(#"{"at":"x","id":"y"}"#.utf8)
        )
        let body = WebhookMessage.body(of: event)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(json["type"] as? String == "download.status")
        #expect(json["sequence"] as? Int == 42)
        #expect(json["timestamp"] as? String == "2025-12-02T00:00:00.123456Z")
        #expect((json["data"] as? [String: String]) == ["at": "x", "id": "y"])
        #expect(WebhookMessage.id(of: event) == "evt_42")
    }

    @Test func headersCarryTheIDTimestampAndSignature() throws {
        let secret = WebhookSecret.generate()
        let body = Array(#"{"a":1}"#.utf8)
        let headers = WebhookSignature.headers(messageID: "evt_1", timestamp: 1_700_000_000, body: body, secret: secret)
        #expect(headers[0] == "webhook-id: evt_1")
        #expect(headers[1] == "webhook-timestamp: 1700000000")
        #expect(
            headers[2] == "webhook-signature: " + WebhookSignature.sign(messageID: "evt_1", timestamp: 1_700_000_000, body: body, key: secret.key)
        )
    }

    @Test(arguments: [
        ("ftp://host/x", "http or https"), ("file:///etc/passwd", "http or https"), ("http://user:pw@host/x", "user or password"),
        ("http:///x", "no host"), ("http://host/x\n", "control characters"), ("http://host/a b", "whitespace"),
        ("http://host/x#frag", "fragment"), ("/relative", "http or https"),
    ])
    func badURLsAreRefused(_ url: String, _ message: String) {
        #expect {
            try WebhookURL.validate(url)
        } throws: { error in
            (error as? TorrusError)?.message.contains(message) == true
        }
    }

    @Test func privateAndLoopbackURLsAreAllowed() throws {
        #expect(try WebhookURL.validate("http://192.168.1.5:8080/hook") == "http://192.168.1.5:8080/hook")
        #expect(try WebhookURL.validate("https://[::1]/h?x=1") == "https://[::1]/h?x=1")
    }

    @Test func configuredTargetsParseAndKeepTheirSecretsOutOfErrors() throws {
        let secret = WebhookSecret.generate().text
        let targets = try ConfiguredWebhook.parse(#"[{"url":"http://127.0.0.1:9/a","secret":"\#(secret)","types":["download.status"]}]"#)
        #expect(targets.count == 1 && targets[0].filter.types == [.downloadStatus])
        #expect(targets[0].id == (try ConfiguredWebhook.parse(#"[{"url":"http://127.0.0.1:9/a","secret":"\#(secret)"}]"#))[0].id)
        #expect(try ConfiguredWebhook.parse(#"[{"url":"http://127.0.0.1:9/a","secret":"\#(secret)"}]"#)[0].filter.types == Webhook.defaultTypes)
        for bad in [
            #"[{"url":"http://127.0.0.1:9/a","secret":"whsec_short"}]"#,
            #"[{"url":"ftp://x/","secret":"\#(secret)"}]"#,
            #"[{"url":"http://x/","secret":"\#(secret)","types":["nope"]}]"#,
            #"[{"url":"http://x/","secret":"\#(secret)"},{"url":"http://x/","secret":"\#(secret)"}]"#,
            #"{"url":"http://x/"}"#,
        ] {
            do {
                _ = try ConfiguredWebhook.parse(bad)
                Issue.record("accepted \(bad)")
            } catch let error as TorrusError {
                #expect(!error.message.contains(secret) && !error.message.contains("whsec_short"))
                #expect(error.message.contains("TORRUS_WEBHOOKS"))
            }
        }
    }
}
