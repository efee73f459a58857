import Foundation
import Testing

@testable import Torrus

/// A local Standard Webhooks receiver for integration tests: `Tests/Support/webhookreceiver.py`
/// on 127.0.0.1 (needs the Python package `standardwebhooks`).
///
/// `POST /hook…` deliveries are verified against `secret` and kept in arrival order; the first
/// `failFirst` deliveries (or as many as `control(fail:)` says; -1: all of them) are answered
/// with `failStatus` instead, unverified (a 3xx one carries a `Location` that must not be
/// followed). `control(delayMilliseconds:)` slows every later verified delivery down.
final class WebhookReceiver: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `Tests/Support/webhookreceiver.py`.
    static var scriptPath: String { PythonPeer.scriptPath("webhookreceiver.py") }

    private let peer: PythonPeer
    var port: Int { peer.port }
    /// The `whsec_…` secret deliveries are verified with.
    let secret: String
    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Where the server under test should deliver.
    var url: String { "\(baseURL)/hook" }

    private let http = CurlHTTPClient(maxConnectionsPerHost: 4)

    private init(peer: PythonPeer, secret: String) {
        self.peer = peer
        self.secret = secret
    }

    deinit { http.shutdown() }

    /// Spawns the receiver and waits (10 s at most) for its `PORT` line.
    static func start(secret: String, failFirst: Int = 0, failStatus: Int = 500) throws -> WebhookReceiver {
        let peer = try PythonPeer(
            script: scriptPath,
            arguments: ["--secret", secret, "--fail-first", String(failFirst), "--fail-status", String(failStatus)],
            hint: "is the Python package standardwebhooks installed?"
        )
        return WebhookReceiver(peer: peer, secret: secret)
    }

    /// SIGTERM, then SIGKILL after 3 s; waits until the child is reaped. Idempotent.
    func stop() {
        http.shutdown()
        peer.stop()
    }

    // MARK: Inspection and control

    /// What arrived since the start (or the last `reset()`).
    func received() async throws -> ReceivedWebhooks {
        let response = try TestPeers.httpGet(port: port, path: "/received", timeout: 5)
        guard response.status == 200 else { throw Failure("GET /received: HTTP \(response.status)") }
        return try JSONDecoder().decode(ReceivedWebhooks.self, from: Data(response.body))
    }

    /// Polls until at least `count` verified deliveries arrived; records an issue and throws on timeout.
    @discardableResult
    func waitForReceived(
        _ count: Int,
        timeout: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> ReceivedWebhooks {
        var last: ReceivedWebhooks?
        try await eventually(timeout: timeout, "\(count) webhook deliveries", sourceLocation: sourceLocation) {
            last = try await received()
            return (last?.received.count ?? 0) >= count
        }
        guard let last else { throw Failure("no /received answer") }
        return last
    }

    /// Sets the remaining fail budget (-1: fail every delivery until set to 0), the status
    /// failing deliveries get, and the delay before verified ones are answered.
    func control(fail: Int? = nil, failStatus: Int? = nil, delayMilliseconds: Int? = nil) async throws {
        var settings: [String: Int] = [:]
        if let fail { settings["fail"] = fail }
        if let failStatus { settings["failStatus"] = failStatus }
        if let delayMilliseconds { settings["delayMs"] = delayMilliseconds }
        let body = try JSONEncoder().encode(settings)
        let response = try await post(path: "/control", body: Array(body))
        guard response.status == 204 else {
            throw Failure("POST /control: HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        }
    }

    /// Forgets what arrived and zeroes the counters (the `control` settings stay).
    func reset() async throws {
        let response = try await post(path: "/reset", body: [])
        guard response.status == 204 else { throw Failure("POST /reset: HTTP \(response.status)") }
    }

    /// A plain POST to this receiver, e.g. a hand-made delivery to `/hook`. `headers` are
    /// "Name: value" lines. Non-2xx statuses are returned, and redirects are not followed.
    func post(path: String, body: [UInt8], headers: [String] = []) async throws -> (status: Int, body: [UInt8]) {
        try await http.post(url: baseURL + path, body: body, headers: headers, timeout: .seconds(10))
    }
}

/// `GET /received`.
struct ReceivedWebhooks: Decodable, Sendable {
    /// Verified deliveries, in arrival order.
    var received: [ReceivedWebhook]
    /// Every `POST /hook…`, failed and invalid ones included.
    var requests: Int
    /// Answered with the fail status.
    var failed: Int
    /// Rejected by signature verification (answered 400).
    var invalid: Int
    var invalidReasons: [String]
}

/// One verified delivery.
struct ReceivedWebhook: Decodable, Sendable {
    /// The `webhook-id` header, e.g. "evt_42".
    var id: String
    /// The `webhook-timestamp` header (Unix seconds).
    var timestamp: Int
    /// The request path, query included.
    var path: String
    var body: Body

    /// `{"data":{…},"sequence":42,"timestamp":"2026-12-02T10:00:00.123456Z","type":"download.status"}`
    struct Body: Decodable, Sendable {
        /// E.g. "download.status", or "webhook.test" for a test ping.
        var type: String
        var sequence: Int64?
        var timestamp: String
        /// Empty when the body has no `data`.
        var data: EventData

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try container.decode(String.self, forKey: .type)
            sequence = try container.decodeIfPresent(Int64.self, forKey: .sequence)
            timestamp = try container.decode(String.self, forKey: .timestamp)
            data = try container.decodeIfPresent(EventData.self, forKey: .data) ?? EventData()
        }

        private enum CodingKeys: String, CodingKey {
            case type, sequence, timestamp, data
        }
    }

    /// The parts of an event's `data` the tests look at; other keys are ignored.
    struct EventData: Decodable, Sendable {
        /// The download's id.
        var id: String?
        /// A status event's old and new status.
        var from: String?
        var to: String?
        /// The whole download (`created` and `status` events).
        var download: Download?

        init() {}
    }

    struct Download: Decodable, Sendable {
        var id: String
        var status: String
        var desiredStatus: String?
        var name: String?
        var source: String?
    }
}
