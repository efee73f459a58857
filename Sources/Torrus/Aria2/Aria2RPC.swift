import CCurl
import Dispatch
import Foundation
import Synchronization

/// One aria2 JSON-RPC call inside a `system.multicall`.
public struct Aria2Call: Sendable {
    public var method: String
    public var params: [JSONValue]

    public init(_ method: String, _ params: [JSONValue] = []) {
        self.method = method
        self.params = params
    }
}

/// aria2's JSON-RPC: requests go over the WebSocket while it is connected and over HTTP (one curl
/// multi handle, keep-alive) otherwise. Adds the `token:` secret to every call, also inside
/// `system.multicall`; turns aria2's answers into typed results or `Aria2Error`s; times every
/// call out after `timeout`.
final class Aria2RPC: Sendable {
    private let httpURL: String
    private let secret: String?
    let timeout: Duration
    private let http: CurlHTTPClient
    private let metrics: Aria2Metrics
    private let webSocket = Mutex<CurlWebSocket?>(nil)
    private let pending = Mutex<[String: ReplySlot]>([:])
    private let nextID = Atomic<Int>(0)

    init(httpURL: String, secret: String?, timeout: Duration, http: CurlHTTPClient, metrics: Aria2Metrics) {
        self.httpURL = httpURL
        self.secret = secret
        self.timeout = timeout
        self.http = http
        self.metrics = metrics
    }

    // MARK: calls

    /// Calls `method` and decodes its result as `R`, straight from aria2's answer (no
    /// intermediate `JSONValue`: a `tellActive` of 500 downloads is decoded once).
    func call<R: Decodable>(_ method: String, _ params: [JSONValue] = [], as type: R.Type = R.self, timeout: Duration? = nil)
        async throws(Aria2Error) -> R
    {
        try await rawCall(method, withToken(try safe(method, params)), timeout: timeout ?? self.timeout, as: R.self)
    }

    /// Calls `method` when only success matters.
    func call(_ method: String, _ params: [JSONValue] = [], timeout: Duration? = nil) async throws(Aria2Error) {
        _ = try await call(method, params, as: Ignored.self, timeout: timeout)
    }

    /// Runs all `calls` in one `system.multicall` round trip; one result per call, in order, each
    /// decoded as `R`.
    func multicall<R: Decodable>(_ calls: [Aria2Call], as type: R.Type = R.self) async throws(Aria2Error) -> [Result<R, Aria2Error>] {
        guard !calls.isEmpty else { return [] }
        var entries: [JSONValue] = []
        for call in calls {
            entries.append(.object(["methodName": .string(call.method), "params": .array(withToken(try safe(call.method, call.params)))]))
        }
        let items = try await rawCall("system.multicall", [.array(entries)], timeout: timeout, as: [MulticallItem<R>].self)
        guard items.count == calls.count else {
            throw .malformed("system.multicall returned \(items.count) results for \(calls.count) calls")
        }
        return items.map(\.result)
    }

    /// A result Torrus does not read (aria2 answers "OK" or a GID).
    struct Ignored: Decodable {
        init(from decoder: any Decoder) {}
    }

    /// aria2's error object: `{"code": 1, "message": "…"}`.
    private struct Fault: Decodable {
        var code: Int?
        var message: String?
        var error: Aria2Error { .rpc(code: code ?? 0, message: message ?? "") }
    }

    private struct Reply<R: Decodable>: Decodable {
        var result: R?
        var error: Fault?
    }

    /// One `system.multicall` entry: `[result]` on success, an error object on failure.
    private struct MulticallItem<R: Decodable>: Decodable {
        var result: Result<R, Aria2Error>

        init(from decoder: any Decoder) throws {
            guard var wrapped = try? decoder.unkeyedContainer() else {
                result = .failure(try Fault(from: decoder).error)
                return
            }
            do {
                result = .success(try wrapped.decode(R.self))
            } catch {
                result = .failure(.malformed("cannot read \(R.self): \(error)"))
            }
        }
    }

    /// The result of `method` in `answer`, or the error aria2 answered with.
    private static func result<R: Decodable>(of method: String, _ answer: [UInt8], as type: R.Type) throws(Aria2Error) -> R {
        let reply: Reply<R>
        do {
            reply = try JSONDecoder().decode(Reply<R>.self, from: Data(answer))
        } catch {
            throw .malformed("\(method): cannot read the answer as \(R.self) (\(error))")
        }
        if let fault = reply.error { throw fault.error }
        guard let result = reply.result else { throw .malformed("\(method): neither result nor error") }
        return result
    }

    /// The last line of defence: aria2 writes option values and URIs into its line-based session
    /// file unescaped, so nothing holding a control character is ever sent, whatever called.
    private func safe(_ method: String, _ params: [JSONValue]) throws(Aria2Error) -> [JSONValue] {
        for param in params {
            if let control = param.firstControlCharacter {
                throw .refused("\(method) not sent: a value holds a control character (\(TextRules.describe(control.value)))")
            }
        }
        return params
    }

    private func withToken(_ params: [JSONValue]) -> [JSONValue] {
        guard let secret else { return params }
        return [.string("token:" + secret)] + params
    }

    /// `{"jsonrpc":"2.0","id":…,"method":…,"params":[…]}`.
    private static func request(id: String, method: String, params: [JSONValue]) throws(JSONValue.NotRepresentable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONText.string(id, to: &out)
        out.append(contentsOf: #","method":"#.utf8)
        JSONText.string(method, to: &out)
        out.append(contentsOf: #","params":"#.utf8)
        try JSONValue.array(params).write(to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// What every WebSocket message is routed by: an answer has an `id`, a notification a
    /// `method` and the GID in `params`. The rest of the message is not decoded here.
    private struct Envelope: Decodable {
        struct Subject: Decodable { var gid: String }
        var id: String?
        var method: String?
        var params: [Subject]?
    }

    /// Sends one request and decodes aria2's answer once, as the type the caller expects.
    private func rawCall<R: Decodable>(_ method: String, _ params: [JSONValue], timeout: Duration, as type: R.Type)
        async throws(Aria2Error) -> R
    {
        let id = String(nextID.add(1, ordering: .relaxed).newValue)
        let started = ContinuousClock.now
        var failed = true
        defer { metrics.recordCall(method, duration: ContinuousClock.now - started, failed: failed) }
        let body: [UInt8]
        do {
            body = try Self.request(id: id, method: method, params: params)
        } catch {
            throw .malformed("cannot encode \(method): \(error)")
        }
        let answer: [UInt8]
        // A large call (an uploaded torrent) goes over HTTP: one aria2 refuses as too large there
        // costs one connection, not the push link every notification comes by.
        if body.count <= Self.maxWebSocketCall, let socket = webSocket.withLock({ $0 }) {
            answer = try await callOverWebSocket(socket, id: id, method: method, body: body, timeout: timeout)
        } else {
            answer = try await callOverHTTP(method: method, body: body, timeout: timeout)
        }
        let result = try Self.result(of: method, answer, as: R.self)
        failed = false
        return result
    }

    /// Calls larger than this never take the WebSocket.
    static let maxWebSocketCall = 64 << 10

    private func callOverHTTP(method: String, body: [UInt8], timeout: Duration) async throws(Aria2Error) -> [UInt8] {
        do {
            // aria2 answers JSON-RPC errors with HTTP 400 and the error object; the body decides.
            let (status, answer) = try await http.post(url: httpURL, body: body, timeout: timeout)
            guard !answer.isEmpty else { throw Aria2Error.unavailable("HTTP \(status) with an empty body") }
            return answer
        } catch let error as CurlError {
            if error.kind == .timeout { throw .timeout(method: method) }
            // aria2 hangs up without a word on a request over its --rpc-max-request-size.
            if error.code == Int(CURLE_GOT_NOTHING.rawValue), body.count > Self.maxWebSocketCall {
                throw .rpc(
                    code: 1,
                    message:
                        "aria2 closed the connection without answering \(method) of \(body.count) bytes: the request is larger than its --rpc-max-request-size (2M unless set). Raise it to 16M, as torrusd does for its own aria2c."
                )
            }
            throw .unavailable(error.description)
        } catch let error as Aria2Error {
            throw error
        } catch {
            throw .unavailable("\(error)")
        }
    }

    private func callOverWebSocket(_ socket: CurlWebSocket, id: String, method: String, body: [UInt8], timeout: Duration)
        async throws(Aria2Error) -> [UInt8]
    {
        // Registered before sending: the answer may come back before this task waits for it.
        let slot = ReplySlot()
        pending.withLock { $0[id] = slot }
        defer { pending.withLock { _ = $0.removeValue(forKey: id) } }
        let timer = DispatchWorkItem { slot.fulfil(.failure(Aria2Error.timeout(method: method))) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(timeout / .nanoseconds(1))), execute: timer)
        defer { timer.cancel() }
        do {
            // Not waiting for the write: the answer says it arrived, and a connection that dies
            // first fails the slot.
            try socket.enqueue(body) { error in slot.fulfil(.failure(error)) }
            return try await slot.wait()
        } catch let error as Aria2Error {
            throw error
        } catch let error as CurlError {
            throw .unavailable("WebSocket: \(error)")
        } catch {
            throw .unavailable("\(error)")
        }
    }

    // MARK: WebSocket

    /// Routes requests over `socket` from now on (nil: back to HTTP). Calls waiting on a previous
    /// socket fail at once: that connection is gone.
    func attach(_ socket: CurlWebSocket?) {
        webSocket.withLock { $0 = socket }
        if socket == nil { failPending(Aria2Error.unavailable("the WebSocket connection closed")) }
    }

    private func failPending(_ error: Aria2Error) {
        let waiting = pending.withLock { pending in
            defer { pending = [:] }
            return Array(pending.values)
        }
        for slot in waiting { slot.fulfil(.failure(error)) }
    }

    /// Handles one WebSocket message: answers go to their waiting call; a notification is
    /// returned for the adapter. Anything else is dropped.
    func receive(_ message: [UInt8]) -> Aria2Notification? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: Data(message)) else { return nil }
        if let id = envelope.id {
            pending.withLock { $0.removeValue(forKey: id) }?.fulfil(.success(message))
            return nil
        }
        guard let method = envelope.method, let kind = Aria2Notification.Kind(rawValue: method), let gid = envelope.params?.first?.gid
        else { return nil }
        metrics.recordNotification(kind)
        return Aria2Notification(kind: kind, gid: gid)
    }
}
