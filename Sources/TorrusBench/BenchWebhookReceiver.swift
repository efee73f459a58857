import Crypto
import Foundation
import Hummingbird
import Logging
import Synchronization

/// The webhook target of `WebhooksRound`: a Hummingbird 2 server in this process on 127.0.0.1,
/// on a port the kernel picks. `POST /hook` checks each delivery as a Standard Webhooks receiver
/// would — the `v1` HMAC-SHA256 signature over `<webhook-id>.<webhook-timestamp>.<body>` with the
/// secret it made up — reads the body's `timestamp` (torrusd's commit time), and answers 204.
/// It answers 204 to a bad delivery too, and counts it: a 4xx could make torrusd send it again,
/// which would show up as a duplicate instead.
///
/// Each delivery is stamped (`CLOCK_REALTIME`, the clock of torrusd's stamps) once its whole body
/// is in, before any checking. Commit → receipt is recorded for the first receipt of each
/// `webhook-id` only.
///
/// `hold()` makes it keep its answers (requests are still stamped and checked as they come) until
/// `release()`: torrusd's deliveries in flight wait, and the rest of its events pile up.
final class BenchWebhookReceiver: Sendable {
    /// `whsec_` + base64 of 32 random bytes, for `TORRUS_WEBHOOKS`.
    let secret: String
    let port: Int
    private let recorder: Recorder
    private let server: Task<Void, any Error>

    var url: String { "http://127.0.0.1:\(port)/hook" }

    private init(secret: String, port: Int, recorder: Recorder, server: Task<Void, any Error>) {
        self.secret = secret
        self.port = port
        self.recorder = recorder
        self.server = server
    }

    /// Starts the server; returns once it listens.
    static func start() async throws -> BenchWebhookReceiver {
        var generator = SystemRandomNumberGenerator()
        let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let recorder = Recorder(key: key)
        let router = Router()
        router.post("hook") { request, _ -> HTTPResponse.Status in
            recorder.enter()
            let body: [UInt8]
            do {
                body = Array(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            } catch {
                recorder.leave()
                throw error
            }
            let received = WallClock.now()
            var id: String?
            var timestamp: String?
            var signature: String?
            for field in request.headers {
                switch field.name.canonicalName {
                case "webhook-id": id = field.value
                case "webhook-timestamp": timestamp = field.value
                case "webhook-signature": signature = field.value
                default: break
                }
            }
            recorder.record(id: id, timestamp: timestamp, signature: signature, body: body, received: received)
            await recorder.gate.pass()
            recorder.leave()
            return .noContent
        }
        let port = Mutex<Int?>(nil)
        var logger = Logger(label: "webhook-receiver")
        // Stopped by cancelling its task, which Hummingbird reports as an error: not one here.
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } },
            logger: logger
        )
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        do {
            try await waitUntil("the webhook receiver to listen on 127.0.0.1", timeout: .seconds(10)) {
                port.withLock { $0 } != nil
            }
        } catch {
            server.cancel()
            _ = await server.result
            throw error
        }
        return BenchWebhookReceiver(
            secret: "whsec_" + Data(key).base64EncodedString(),
            port: port.withLock { $0 }!,
            recorder: recorder,
            server: server
        )
    }

    /// Holds every answer from now on (each request is still stamped and checked when its body is
    /// in): torrusd's deliveries in flight wait, and the rest pile up in its event log. The most
    /// requests in flight at once counts from here.
    func hold() {
        recorder.gate.close()
        recorder.state.withLock { $0.maxInFlight = $0.inFlight }
    }

    /// Answers the held requests and every later one at once; how many were held.
    @discardableResult
    func release() -> Int {
        recorder.gate.open()
    }

    /// Requests waiting for their answer now.
    var held: Int { recorder.gate.held }

    /// Stops the server and waits until it has.
    func stop() async {
        _ = recorder.gate.open()
        server.cancel()
        _ = await server.result
    }

    /// For polling while deliveries come in: cheap, no copy of the samples.
    func progress() -> Progress {
        recorder.state.withLock { Progress(requests: $0.requests, distinct: $0.ids.count, completed: $0.completed.count) }
    }

    /// Everything recorded so far.
    func snapshot() -> State {
        recorder.state.withLock { $0 }
    }

    struct Progress: Sendable {
        /// Requests to `/hook`, duplicates and bad ones included.
        let requests: Int
        /// Distinct `webhook-id`s.
        let distinct: Int
        /// Downloads that had a `download.status` to Complete.
        let completed: Int
    }

    struct State: Sendable {
        var requests = 0
        var ids: Set<String> = []
        /// Commit (`timestamp` of the body) → receipt, in ms, per distinct delivery.
        var latencies: [Double] = []
        /// Microseconds since 1970: the first and last receipt of any request.
        var firstReceipt: Int64?
        var lastReceipt: Int64?
        var invalidSignatures = 0
        /// A `webhook-id` received again (not counted anywhere else).
        var duplicates = 0
        /// No `webhook-id`, or a body that is not the contract's JSON, or a `timestamp` that is not
        /// RFC 3339 UTC.
        var unreadable = 0
        /// `timestamp` differs from the `at` of `data` (both are the commit time).
        var timestampMismatches = 0
        /// A delivery of a download older (by `sequence`) than one already received for it.
        var outOfOrder = 0
        /// Distinct deliveries per `type`.
        var byType: [String: Int] = [:]
        /// Download ids with a `download.created`, with a `download.status` to Complete.
        var created: Set<String> = []
        var completed: Set<String> = []
        /// Requests in the receiver (from their head to their answer), and the most at once since
        /// the start or `hold()`: torrusd's deliveries in flight.
        var inFlight = 0
        var maxInFlight = 0
        fileprivate var lastSequence: [String: Int64] = [:]
    }

    /// The server's handler side: checks outside the lock, one short critical section per request.
    private final class Recorder: Sendable {
        /// The raw key (`SymmetricKey` is not `Sendable`; one is made per delivery, a copy of 32 bytes).
        let key: [UInt8]
        let state = Mutex(State())
        let gate = Gate()

        init(key: [UInt8]) {
            self.key = key
        }

        func enter() {
            state.withLock { state in
                state.inFlight += 1
                state.maxInFlight = max(state.maxInFlight, state.inFlight)
            }
        }

        /// The request `enter()` counted is answered (or its body did not arrive).
        func leave() {
            state.withLock { $0.inFlight -= 1 }
        }

        /// Records a request whose body is in.
        func record(id: String?, timestamp: String?, signature: String?, body: [UInt8], received: Int64) {
            let valid = verify(id: id, timestamp: timestamp, signature: signature, body: body)
            let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(body))
            let committed = envelope.flatMap { Self.microseconds($0.timestamp) }
            let matches = envelope.map { $0.data.at == nil || $0.data.at == $0.timestamp } ?? true
            state.withLock { state in
                state.requests += 1
                state.firstReceipt = min(state.firstReceipt ?? received, received)
                state.lastReceipt = max(state.lastReceipt ?? received, received)
                if !valid { state.invalidSignatures += 1 }
                guard let id, let envelope, let committed else {
                    state.unreadable += 1
                    return
                }
                guard state.ids.insert(id).inserted else {
                    state.duplicates += 1
                    return
                }
                state.latencies.append(Double(received - committed) / 1000)
                state.byType[envelope.type, default: 0] += 1
                if !matches { state.timestampMismatches += 1 }
                guard let download = envelope.data.id else { return }
                if let last = state.lastSequence[download], last > envelope.sequence {
                    state.outOfOrder += 1
                } else {
                    state.lastSequence[download] = envelope.sequence
                }
                if envelope.type == "download.created" { state.created.insert(download) }
                if envelope.type == "download.status", envelope.data.to == "Complete" { state.completed.insert(download) }
            }
        }

        /// Standard Webhooks: `webhook-signature` is a space-separated list of `<version>,<base64>`;
        /// one valid `v1` signature is enough.
        private func verify(id: String?, timestamp: String?, signature: String?, body: [UInt8]) -> Bool {
            guard let id, let timestamp, let signature else { return false }
            let key = SymmetricKey(data: key)
            var message = Array("\(id).\(timestamp).".utf8)
            message.append(contentsOf: body)
            for candidate in signature.split(separator: " ") where candidate.hasPrefix("v1,") {
                if let mac = Data(base64Encoded: String(candidate.dropFirst(3))),
                    HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: message, using: key)
                {
                    return true
                }
            }
            return false
        }

        private static func microseconds(_ text: String) -> Int64? {
            var text = text
            return text.withUTF8 { WallClock.microseconds(rfc3339: $0) }
        }
    }

    /// Where the handler waits while the receiver holds its answers.
    private final class Gate: Sendable {
        private struct State {
            var open = true
            var waiting: [CheckedContinuation<Void, Never>] = []
        }

        private let state = Mutex(State())

        var held: Int { state.withLock { $0.waiting.count } }

        func pass() async {
            if state.withLock({ $0.open }) { return }
            await withCheckedContinuation { continuation in
                let passes = state.withLock { state in
                    if !state.open { state.waiting.append(continuation) }
                    return state.open
                }
                if passes { continuation.resume() }
            }
        }

        func close() {
            state.withLock { $0.open = false }
        }

        func open() -> Int {
            let waiting = state.withLock { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
            return waiting.count
        }
    }

    /// The fields of a delivery's body the receiver reads.
    private struct Envelope: Decodable {
        struct Fields: Decodable {
            let at: String?
            let id: String?
            let to: String?
        }

        let data: Fields
        let sequence: Int64
        let timestamp: String
        let type: String
    }
}
