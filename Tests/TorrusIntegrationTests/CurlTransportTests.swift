import Foundation
import Glibc
import Synchronization
import Testing

@testable import Torrus

/// The libcurl transport (HTTP + WebSocket) and Aria2Process, against a real aria2c.
/// Every wait is an event or a poll with a deadline; no bare sleeps.
@Suite(.serialized)
struct CurlTransportTests {
    // MARK: HTTP

    @Test(.timeLimit(.minutes(1)))
    func httpGetVersionReturnsAResult() async throws {
        try await withAria2 { aria2 in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let response = try await client.post(
                url: aria2.rpcURL,
                body: rpcRequest(id: "1", method: "aria2.getVersion", token: aria2.secret),
                timeout: .seconds(5)
            )
            #expect(response.status == 200)
            let object = try jsonObject(response.body)
            #expect(object["id"] as? String == "1")
            let result = try #require(object["result"] as? [String: Any])
            #expect((result["version"] as? String)?.isEmpty == false)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func httpWrongTokenGetsAria2sErrorJSON() async throws {
        try await withAria2 { aria2 in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let response = try await client.post(
                url: aria2.rpcURL,
                body: rpcRequest(id: "2", method: "aria2.getVersion", token: "wrong"),
                timeout: .seconds(5)
            )
            #expect(response.status == 400)
            let object = try jsonObject(response.body)
            #expect(object["id"] as? String == "2")
            let error = try #require(object["error"] as? [String: Any])
            #expect(error["code"] as? Int == 1)
            #expect(error["message"] as? String == "Unauthorized")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func http64ConcurrentPostsAllSucceed() async throws {
        try await withAria2 { aria2 in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let url = aria2.rpcURL
            let secret = aria2.secret
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<64 {
                    group.addTask {
                        let response = try await client.post(
                            url: url,
                            body: rpcRequest(id: "c\(index)", method: "aria2.getVersion", token: secret),
                            timeout: .seconds(10)
                        )
                        #expect(response.status == 200)
                        let object = try jsonObject(response.body)
                        #expect(object["result"] != nil)
                        return object["id"] as? String ?? ""
                    }
                }
                var ids: Set<String> = []
                for try await id in group { ids.insert(id) }
                return ids
            }
            #expect(ids == Set((0..<64).map { "c\($0)" }))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func httpConnectionRefusedFailsFastWithTransport() async throws {
        let port = try Aria2Process.freeLoopbackPort()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let started = ContinuousClock.now
        let error = await #expect(throws: CurlError.self) {
            _ = try await client.post(
                url: "http://127.0.0.1:\(port)/jsonrpc",
                body: Array("{}".utf8),
                timeout: .seconds(10)
            )
        }
        // Refused at once, not after the 10 s timeout (the bound is loose: a busy test run can
        // stall this process for seconds).
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(error?.kind == .transport)
        #expect(error?.code == 7)  // CURLE_COULDNT_CONNECT
        #expect(error?.message.isEmpty == false)
    }

    @Test(.timeLimit(.minutes(1)))
    func httpTimeoutFiresAgainstASilentListener() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let started = ContinuousClock.now
        let error = await #expect(throws: CurlError.self) {
            _ = try await client.post(
                url: "http://127.0.0.1:\(listener.port)/jsonrpc",
                body: Array("{}".utf8),
                timeout: .milliseconds(200)
            )
        }
        let elapsed = ContinuousClock.now - started
        #expect(error?.kind == .timeout)
        #expect(elapsed >= .milliseconds(150))
        #expect(elapsed < .seconds(10))  // fired, rather than waiting forever; loose for busy runs
    }

    @Test(.timeLimit(.minutes(1)))
    func httpCancellationFailsTheWaitingCall() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let url = "http://127.0.0.1:\(listener.port)/jsonrpc"
        let started = ContinuousClock.now
        let outcome = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    _ = try await client.post(url: url, body: Array("{}".utf8), timeout: .seconds(30))
                    return nil
                } catch {
                    return error
                }
            }
            // Cancel once the request is certainly on the wire: the listener saw the connection.
            #expect(listener.waitForConnection(timeout: .seconds(5)))
            group.cancelAll()
            return await group.next() ?? nil
        }
        #expect(outcome is CancellationError)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test(.timeLimit(.minutes(1)))
    func httpShutdownFailsLaterCallsWithClosed() async throws {
        let client = CurlHTTPClient()
        client.shutdown()
        client.shutdown()
        let error = await #expect(throws: CurlError.self) {
            _ = try await client.post(url: "http://127.0.0.1:1/", body: [], timeout: .seconds(1))
        }
        #expect(error?.kind == .closed)
    }

    // MARK: WebSocket

    @Test(.timeLimit(.minutes(1)))
    func webSocketRequestGetsItsResponse() async throws {
        try await withAria2 { aria2 in
            let inbox = MessageInbox()
            let socket = makeWebSocket(aria2, inbox: inbox)
            defer { socket.close() }
            try await socket.connect()
            try await socket.send(rpcRequest(id: "ws-1", method: "aria2.getVersion", token: aria2.secret))
            let message = try await inbox.next(timeout: .seconds(5), where: hasID("ws-1"))
            let object = try jsonObject(message)
            let result = try #require(object["result"] as? [String: Any])
            #expect(result["version"] != nil)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketGetsDownloadNotifications() async throws {
        try await withAria2 { aria2 in
            let inbox = MessageInbox()
            let socket = makeWebSocket(aria2, inbox: inbox)
            defer { socket.close() }
            try await socket.connect()
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let closedPort = try Aria2Process.freeLoopbackPort()
            let body =
                #"{"jsonrpc":"2.0","id":"add","method":"aria2.addUri","params":["token:\#(aria2.secret)",["http://127.0.0.1:\#(closedPort)/file.bin"],{"max-tries":"1"}]}"#
            let response = try await client.post(url: aria2.rpcURL, body: Array(body.utf8), timeout: .seconds(5))
            #expect(response.status == 200)
            let gid = try #require(try jsonObject(response.body)["result"] as? String)

            let start = try jsonObject(try await inbox.next(timeout: .seconds(20), where: isNotification("aria2.onDownloadStart")))
            #expect(notificationGID(start) == gid)
            let failure = try jsonObject(try await inbox.next(timeout: .seconds(20), where: isNotification("aria2.onDownloadError")))
            #expect(notificationGID(failure) == gid)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketReassemblesAMessageLargerThan64KiB() async throws {
        try await withAria2 { aria2 in
            let inbox = MessageInbox()
            let socket = makeWebSocket(aria2, inbox: inbox)
            defer { socket.close() }
            try await socket.connect()
            let calls = 600
            let call = #"{"methodName":"aria2.getVersion","params":["token:\#(aria2.secret)"]}"#
            let body =
                #"{"jsonrpc":"2.0","id":"big","method":"system.multicall","params":[[\#(Array(repeating: call, count: calls).joined(separator: ","))]]}"#
            try await socket.send(Array(body.utf8))
            let message = try await inbox.next(timeout: .seconds(10), where: hasID("big"))
            #expect(message.count > 64 * 1024)
            let object = try jsonObject(message)
            let results = try #require(object["result"] as? [Any])
            #expect(results.count == calls)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketPingsAreAnsweredAndMissingPongsKillTheConnection() async throws {
        try await withAria2 { aria2 in
            let inbox = MessageInbox()
            let socket = CurlWebSocket(
                url: aria2.webSocketURL,
                connectTimeout: .seconds(5),
                pingInterval: .milliseconds(50),
                pongTimeout: .milliseconds(500),
                onMessage: { inbox.deliver($0) }
            )
            defer { socket.close() }
            try await socket.connect()
            // aria2 1.36 answers every ping with a pong AND an id:null "Invalid Request" error.
            // A ping is only sent once the previous pong came back, so five such errors prove
            // at least four pongs were received and matched.
            for _ in 0..<5 {
                _ = try await inbox.next(timeout: .seconds(5), where: hasNullID)
            }
            try await socket.send(rpcRequest(id: "alive", method: "aria2.getVersion", token: aria2.secret))
            _ = try await inbox.next(timeout: .seconds(5), where: hasID("alive"))

            // Freeze aria2c: no more pongs, so the connection must die of a pong timeout.
            let frozeAt = ContinuousClock.now
            #expect(kill(aria2.pid, SIGSTOP) == 0)
            defer { _ = kill(aria2.pid, SIGCONT) }
            let reason = try await closedWithin(.seconds(10), socket)
            #expect(reason.kind == .timeout)
            print("[measure] aria2c frozen -> pong timeout: \(ContinuousClock.now - frozeAt)")
            let error = await #expect(throws: CurlError.self) { try await socket.send(Array("{}".utf8)) }
            #expect(error?.kind == .closed)
        }
    }

    /// A connected WebSocket whose thread is held inside `onMessage` (by the answer to one call)
    /// until `release` is signalled: bounded, so code that waits for that thread fails a test
    /// instead of hanging it.
    private func heldWebSocket(_ aria2: Aria2Process) async throws -> (socket: CurlWebSocket, release: DispatchSemaphore) {
        let inMessage = Atomic<Bool>(false)
        let release = DispatchSemaphore(value: 0)
        let socket = CurlWebSocket(
            url: aria2.webSocketURL,
            connectTimeout: .seconds(5),
            pingInterval: .seconds(10),
            pongTimeout: .seconds(5),
            onMessage: { _ in
                inMessage.store(true, ordering: .sequentiallyConsistent)
                _ = release.wait(timeout: .now() + .seconds(5))
            }
        )
        try await socket.connect()
        try await socket.send(rpcRequest(id: "busy", method: "aria2.getVersion", token: aria2.secret))
        try await eventually("onMessage to be called") { inMessage.load(ordering: .sequentiallyConsistent) }
        return (socket, release)
    }

    /// `close()` never waits for the connection's thread, even one stuck in `onMessage`.
    @Test(.timeLimit(.minutes(1)))
    func webSocketCloseReturnsWhileItsThreadIsBusy() async throws {
        try await withAria2 { aria2 in
            let (socket, release) = try await heldWebSocket(aria2)
            let closing = ContinuousClock.now
            socket.close()
            let took = ContinuousClock.now - closing
            release.signal()
            #expect(took < .seconds(2), "close() took \(took)")
            #expect(await socket.closed().kind == .closed)
        }
    }

    /// `enqueue` returns without waiting for the write; a message the connection cannot write
    /// any more is reported through `onFailure`, and a dead connection refuses at once.
    @Test(.timeLimit(.minutes(1)))
    func webSocketEnqueueReportsAMessageTheConnectionDiedWith() async throws {
        try await withAria2 { aria2 in
            let (socket, release) = try await heldWebSocket(aria2)
            // Queued while the thread is held in onMessage, then closed: it can never be written.
            let failures = Mutex<[CurlError]>([])
            try socket.enqueue(rpcRequest(id: "late", method: "aria2.getVersion", token: aria2.secret)) { error in
                failures.withLock { $0.append(error) }
            }
            socket.close()
            release.signal()
            try await eventually("onFailure to be called") { !failures.withLock { $0.isEmpty } }
            #expect(failures.withLock { $0.map(\.kind) } == [.closed])
            #expect(await socket.closed().kind == .closed)
            #expect(throws: CurlError.self) { try socket.enqueue(Array("{}".utf8)) { _ in Issue.record("called for a refused message") } }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketNoticesSIGKILLOfAria2Quickly() async throws {
        try await withAria2 { aria2 in
            let socket = makeWebSocket(aria2, inbox: MessageInbox())
            defer { socket.close() }
            try await socket.connect()
            let killedAt = ContinuousClock.now
            aria2.kill9()
            // Seen as a receive error at once (1-2 ms here, printed); the bound only catches a
            // wait for the pong timeout, and stays loose for busy test runs.
            let reason = try await closedWithin(.seconds(5), socket)
            let elapsed = ContinuousClock.now - killedAt
            print("[measure] aria2c SIGKILL -> closed(): \(elapsed)")
            #expect(reason.kind == .closed)
            // Reported once, and again at once for later callers.
            #expect(await socket.closed() == reason)
            let error = await #expect(throws: CurlError.self) { try await socket.send(Array("{}".utf8)) }
            #expect(error?.kind == .closed)
            socket.close()
            socket.close()
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketConnectToAClosedPortFails() async throws {
        let port = try Aria2Process.freeLoopbackPort()
        let socket = CurlWebSocket(
            url: "ws://127.0.0.1:\(port)/jsonrpc",
            connectTimeout: .seconds(5),
            pingInterval: .seconds(10),
            pongTimeout: .seconds(5),
            onMessage: { _ in }
        )
        defer { socket.close() }
        let error = await #expect(throws: CurlError.self) { try await socket.connect() }
        #expect(error?.kind == .transport)
        #expect(await socket.closed().kind == .transport)
    }

    @Test(.timeLimit(.minutes(1)))
    func webSocketCloseBeforeConnect() async throws {
        let socket = CurlWebSocket(
            url: "ws://127.0.0.1:1/jsonrpc",
            connectTimeout: .seconds(1),
            pingInterval: .seconds(10),
            pongTimeout: .seconds(5),
            onMessage: { _ in }
        )
        socket.close()
        #expect(await socket.closed().kind == .closed)
        let error = await #expect(throws: CurlError.self) { try await socket.connect() }
        #expect(error?.kind == .closed)
    }

    /// aria2 never pings its clients, so this uses a minimal in-test server: libcurl 8.14
    /// answers a server ping by itself (auto-pong) exactly once, and the ping is not surfaced.
    @Test(.timeLimit(.minutes(1)))
    func serverPingIsAnsweredOnceByLibcurl() async throws {
        let server = try FakeWebSocketServer()
        defer { server.close() }
        let inbox = MessageInbox()
        let socket = CurlWebSocket(
            url: "ws://127.0.0.1:\(server.port)/jsonrpc",
            connectTimeout: .seconds(5),
            pingInterval: .seconds(30),
            pongTimeout: .seconds(5),
            onMessage: { inbox.deliver($0) }
        )
        defer { socket.close() }
        async let received = server.serve(timeout: .seconds(20))
        try await socket.connect()
        _ = try await inbox.next(timeout: .seconds(5), where: { $0 == Array("hello".utf8) })
        try await socket.send(Array("after".utf8))
        let frames = try await received
        let pongs = frames.filter { $0.opcode == 0xA }
        #expect(pongs.count == 1)
        #expect(pongs.first?.payload == Array("ping".utf8))
        #expect(frames.last?.opcode == 0x1 && frames.last?.payload == Array("after".utf8))
        #expect(inbox.unconsumed == 0)
    }

    // MARK: Aria2Process

    @Test(.timeLimit(.minutes(1)))
    func stopLeavesNoProcessAndFreesThePort() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let aria2 = Aria2Process(options: .init(directory: directory + "/downloads", secret: ""))
        #expect(!aria2.secret.isEmpty)
        #expect(!aria2.arguments.contains("--input-file"))
        try aria2.start()
        let pid = aria2.pid
        let port = aria2.port
        #expect(pid > 0)
        #expect(aria2.isRunning)
        #expect(Aria2Process.acceptsConnection(port: port))

        await aria2.stop()
        #expect(!aria2.isRunning)
        errno = 0
        #expect(kill(pid, 0) == -1 && errno == ESRCH)
        #expect(!Aria2Process.acceptsConnection(port: port))
        #expect(canBind(port: port))
        #expect(await aria2.waitForExit() == 0)
        await aria2.stop()  // idempotent
        aria2.kill9()
    }

    /// An aria2c that cannot act on SIGTERM (stopped) makes `stop` wait the whole grace period,
    /// on threads of its own: with more stops under way than the cooperative pool has threads,
    /// other tasks still run; then SIGKILL, and the child is reaped.
    @Test(.timeLimit(.minutes(1)))
    func stopsWaitTheGracePeriodWithoutHoldingTheCooperativePool() async throws {
        try await withAria2 { aria2 in
            #expect(kill(aria2.pid, SIGSTOP) == 0)
            let grace = Duration.seconds(3)
            let started = ContinuousClock.now
            let probe = await withTaskGroup(of: Duration?.self) { group in
                for _ in 0..<ProcessInfo.processInfo.activeProcessorCount * 2 {
                    group.addTask {
                        await aria2.stop(gracePeriod: grace)
                        return nil
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(100))  // while the stops wait
                    return ContinuousClock.now - started
                }
                var probe: Duration?
                for await value in group where value != nil { probe = value }
                return probe
            }
            let resumed = try #require(probe)
            #expect(resumed < .milliseconds(1500), "a task resumed while the stops waited")
            #expect(ContinuousClock.now - started >= grace, "SIGKILL only after the grace period")
            #expect(await aria2.waitForExit() == 128 + SIGKILL)
            #expect(!aria2.isRunning)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func kill9IsReportedByWaitForExit() async throws {
        try await withAria2 { aria2 in
            let pid = aria2.pid
            aria2.kill9()
            #expect(await aria2.waitForExit() == 128 + SIGKILL)
            errno = 0
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func sessionFileOptionsAndExtraArgumentsComeLast() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let session = directory + "/aria2.session"
        var options = Aria2Process.Options(
            directory: directory,
            sessionFile: session,
            secret: "x",
            port: 6999,
            extraArguments: ["--max-concurrent-downloads=5"]
        )
        #expect(!Aria2Process(options: options).arguments.contains("--input-file=\(session)"))
        #expect(FileManager.default.createFile(atPath: session, contents: Data()))
        options.saveSessionInterval = 7
        let arguments = Aria2Process(options: options).arguments
        #expect(arguments.contains("--input-file=\(session)"))
        #expect(arguments.contains("--save-session=\(session)"))
        #expect(arguments.contains("--save-session-interval=7"))
        #expect(arguments.contains("--force-save=false"))
        #expect(arguments.contains("--rpc-listen-port=6999"))
        #expect(arguments.last == "--max-concurrent-downloads=5")
    }

    @Test(.timeLimit(.minutes(1)))
    func startFailsClearlyWhenAria2cExits() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let aria2 = Aria2Process(options: .init(directory: directory, secret: "x", extraArguments: ["--no-such-option=1"]))
        #expect {
            try aria2.start()
        } throws: { error in
            guard case .exitedEarly = error as? Aria2ProcessError else { return false }
            return true
        }
        #expect(!aria2.isRunning)
    }

    // MARK: measurements (printed, loosely bounded)

    @Test(.timeLimit(.minutes(1)))
    func measureRoundTrips() async throws {
        try await withAria2 { aria2 in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let body = rpcRequest(id: "m", method: "aria2.getVersion", token: aria2.secret)
            var http: [Duration] = []
            for _ in 0..<1000 {
                let started = ContinuousClock.now
                let response = try await client.post(url: aria2.rpcURL, body: body, timeout: .seconds(5))
                http.append(ContinuousClock.now - started)
                #expect(response.status == 200)
            }

            let inbox = MessageInbox()
            let socket = makeWebSocket(aria2, inbox: inbox)
            defer { socket.close() }
            try await socket.connect()
            var ws: [Duration] = []
            for index in 0..<1000 {
                let started = ContinuousClock.now
                try await socket.send(rpcRequest(id: "s\(index)", method: "aria2.getVersion", token: aria2.secret))
                _ = try await inbox.next(timeout: .seconds(5), where: hasID("s\(index)"))
                ws.append(ContinuousClock.now - started)
            }

            var batches: [Duration] = []
            for batch in 0..<20 {
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<64 {
                        let id = "b\(batch)-\(index)"
                        group.addTask {
                            try await socket.send(rpcRequest(id: id, method: "aria2.getVersion", token: aria2.secret))
                            _ = try await inbox.next(timeout: .seconds(10), where: hasID(id))
                        }
                    }
                    try await group.waitForAll()
                }
                batches.append(ContinuousClock.now - started)
            }
            print("[measure] getVersion HTTP median of 1000: \(median(http))")
            print("[measure] getVersion WS median of 1000: \(median(ws))")
            print("[measure] 64 concurrent getVersion on one WS, median batch of 20: \(median(batches))")
            #expect(median(http) < .milliseconds(100))
            #expect(median(ws) < .milliseconds(100))
        }
    }
}

// MARK: - helpers

private func rpcRequest(id: String, method: String, token: String) -> [UInt8] {
    Array(#"{"jsonrpc":"2.0","id":"\#(id)","method":"\#(method)","params":["token:\#(token)"]}"#.utf8)
}

private func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(bytes))
    return try #require(value as? [String: Any])
}

private func hasID(_ id: String) -> @Sendable ([UInt8]) -> Bool {
    let needle = #""id":"\#(id)""#
    return { String(decoding: $0, as: UTF8.self).contains(needle) }
}

private let hasNullID: @Sendable ([UInt8]) -> Bool = {
    String(decoding: $0, as: UTF8.self).contains(#""id":null"#)
}

private func isNotification(_ method: String) -> @Sendable ([UInt8]) -> Bool {
    let needle = #""method":"\#(method)""#
    return { String(decoding: $0, as: UTF8.self).contains(needle) }
}

private func notificationGID(_ object: [String: Any]) -> String? {
    ((object["params"] as? [Any])?.first as? [String: Any])?["gid"] as? String
}

private func median(_ values: [Duration]) -> Duration {
    values.sorted()[values.count / 2]
}

private func makeTemporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("torrus-curl-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

private func withAria2(_ body: (Aria2Process) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory()
    let aria2 = Aria2Process(
        options: .init(
            directory: directory + "/downloads",
            secret: "test-secret-\(UUID().uuidString)",
            logFile: directory + "/aria2c.log"
        )
    )
    try aria2.start()
    defer {
        aria2.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
    try await body(aria2)
}

private func makeWebSocket(_ aria2: Aria2Process, inbox: MessageInbox) -> CurlWebSocket {
    CurlWebSocket(
        url: aria2.webSocketURL,
        connectTimeout: .seconds(5),
        pingInterval: .seconds(10),
        pongTimeout: .seconds(5),
        onMessage: { inbox.deliver($0) }
    )
}

private struct DeadlineExceeded: Error, CustomStringConvertible {
    let description: String
}

/// `socket.closed()` within `timeout`; past it the socket is closed (so the wait ends) and
/// the test fails with `DeadlineExceeded`.
private func closedWithin(_ timeout: Duration, _ socket: CurlWebSocket) async throws -> CurlError {
    try await withThrowingTaskGroup(of: CurlError?.self) { group in
        group.addTask { await socket.closed() }
        group.addTask {
            try? await Task.sleep(for: timeout)  // a deadline, not synchronisation
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        guard let first else {
            socket.close()
            throw DeadlineExceeded(description: "closed() did not return within \(timeout)")
        }
        return first
    }
}

/// Collects WebSocket messages; `next(where:)` takes the first matching one, waiting for it.
private final class MessageInbox: Sendable {
    private struct Waiter {
        let predicate: @Sendable ([UInt8]) -> Bool
        let continuation: CheckedContinuation<[UInt8], any Error>
    }

    private struct State {
        var messages: [[UInt8]] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Messages delivered but not taken by `next`.
    var unconsumed: Int { state.withLock { $0.messages.count } }

    func deliver(_ message: [UInt8]) {
        let waiter: Waiter? = state.withLock { state in
            if let (id, waiter) = state.waiters.first(where: { $0.value.predicate(message) }) {
                state.waiters[id] = nil
                return waiter
            }
            state.messages.append(message)
            return nil
        }
        waiter?.continuation.resume(returning: message)
    }

    func next(timeout: Duration, where predicate: @escaping @Sendable ([UInt8]) -> Bool) async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            group.addTask { try await self.next(where: predicate) }
            group.addTask {
                try await Task.sleep(for: timeout)  // a deadline, not synchronisation
                throw DeadlineExceeded(description: "no matching WebSocket message within \(timeout)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    private func next(where predicate: @escaping @Sendable ([UInt8]) -> Bool) async throws -> [UInt8] {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let found: [UInt8]? = state.withLock { state in
                    if let index = state.messages.firstIndex(where: predicate) {
                        return state.messages.remove(at: index)
                    }
                    if Task.isCancelled { return nil }
                    state.waiters[id] = Waiter(predicate: predicate, continuation: continuation)
                    return nil
                }
                if let found {
                    continuation.resume(returning: found)
                } else if Task.isCancelled && state.withLock({ $0.waiters[id] == nil }) {
                    continuation.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiters[id] = nil }
                return state.waiters[id]
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}

/// A TCP listener on 127.0.0.1 that accepts at the kernel level (backlog) and never answers.
private final class SilentListener: Sendable {
    let port: Int
    private let fd: Int32
    var descriptor: Int32 { fd }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw DeadlineExceeded(description: "socket() failed") }
        var address = Aria2Process.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            Glibc.close(fd)
            throw DeadlineExceeded(description: "cannot listen on 127.0.0.1")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits (poll with a deadline) until a client connected; accepts it and keeps it open.
    func waitForConnection(timeout: Duration) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(Curl.milliseconds(timeout))) == 1 else { return false }
        return true
    }

    func close() {
        Glibc.close(fd)
    }
}

private func canBind(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var reuse: Int32 = 1
    _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = Aria2Process.loopbackAddress(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

/// A one-connection WebSocket server for protocol details aria2 cannot show: it accepts one
/// client, upgrades it, sends a ping and then the text "hello", and records the client's frames
/// until a text "after" arrives. Blocking socket code on its own thread, every wait a poll with
/// the deadline.
private final class FakeWebSocketServer: Sendable {
    struct Frame: Sendable {
        let opcode: UInt8
        let payload: [UInt8]
    }

    let port: Int
    private let listener: SilentListener

    init() throws {
        listener = try SilentListener()
        port = listener.port
    }

    func close() {
        listener.close()
    }

    func serve(timeout: Duration) async throws -> [Frame] {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try self.serveBlocking(deadline: .now + timeout) })
            }
            thread.start()
        }
    }

    private func serveBlocking(deadline: ContinuousClock.Instant) throws -> [Frame] {
        let connection = try listener.accept(deadline: deadline)
        defer { Glibc.close(connection) }
        var buffer: [UInt8] = []
        while !buffer.containsSequence(Array("\r\n\r\n".utf8)) {
            buffer += try readSome(connection, deadline: deadline)
        }
        let request = String(decoding: buffer, as: UTF8.self)
        let keyLine = try #require(request.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-key:") })
        let key = keyLine.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
        let accept = Data(sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC11B85").utf8))).base64EncodedString()
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
        try writeAll(connection, Array(response.utf8))
        try writeAll(connection, [0x89, 4] + Array("ping".utf8) + [0x81, 5] + Array("hello".utf8))

        var frames: [Frame] = []
        buffer = []
        while true {
            while let (frame, used) = parseClientFrame(buffer) {
                buffer.removeFirst(used)
                frames.append(frame)
                if frame.opcode == 0x1 && frame.payload == Array("after".utf8) { return frames }
            }
            buffer += try readSome(connection, deadline: deadline)
        }
    }

    private func parseClientFrame(_ bytes: [UInt8]) -> (Frame, Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        let masked = bytes[1] & 0x80 != 0
        let mask = masked ? 4 : 0
        guard bytes.count >= offset + mask + length else { return nil }
        let key = Array(bytes[offset..<offset + mask])
        let payload = (0..<length).map { index in
            bytes[offset + mask + index] ^ (masked ? key[index % 4] : 0)
        }
        return (Frame(opcode: bytes[0] & 0x0F, payload: payload), offset + mask + length)
    }

    private func readSome(_ fd: Int32, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        let remaining = deadline - .now
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard remaining > .zero, poll(&descriptor, 1, Int32(Curl.milliseconds(remaining))) == 1 else {
            throw DeadlineExceeded(description: "fake server: nothing to read before the deadline")
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = recv(fd, &chunk, chunk.count, 0)
        guard count > 0 else { throw DeadlineExceeded(description: "fake server: client went away") }
        return Array(chunk[0..<count])
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw DeadlineExceeded(description: "fake server: send failed") }
            offset += written
        }
    }
}

extension SilentListener {
    /// Accepts one connection (poll with a deadline).
    func accept(deadline: ContinuousClock.Instant) throws -> Int32 {
        let remaining = deadline - .now
        guard remaining > .zero, waitForConnection(timeout: remaining) else {
            throw DeadlineExceeded(description: "no connection before the deadline")
        }
        let connection = Glibc.accept(descriptor, nil, nil)
        guard connection >= 0 else { throw DeadlineExceeded(description: "accept failed") }
        return connection
    }
}

private extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}

/// SHA-1 (RFC 3174), only for the fake server's Sec-WebSocket-Accept.
private func sha1(_ message: [UInt8]) -> [UInt8] {
    var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
    var padded = message + [0x80]
    while padded.count % 64 != 56 { padded.append(0) }
    let bitLength = UInt64(message.count) * 8
    for shift in stride(from: 56, through: 0, by: -8) { padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    for chunk in stride(from: 0, to: padded.count, by: 64) {
        var w = [UInt32](repeating: 0, count: 80)
        for i in 0..<16 {
            let base = chunk + 4 * i
            w[i] = UInt32(padded[base]) << 24 | UInt32(padded[base + 1]) << 16 | UInt32(padded[base + 2]) << 8 | UInt32(padded[base + 3])
        }
        for i in 16..<80 {
            let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w[i] = x << 1 | x >> 31
        }
        var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
        for i in 0..<80 {
            let f: UInt32
            let k: UInt32
            if i < 20 {
                f = (b & c) | (~b & d)
                k = 0x5A82_7999
            } else if i < 40 {
                f = b ^ c ^ d
                k = 0x6ED9_EBA1
            } else if i < 60 {
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1B_BCDC
            } else {
                f = b ^ c ^ d
                k = 0xCA62_C1D6
            }
            let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
            (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
        }
        h[0] &+= a
        h[1] &+= b
        h[2] &+= c
        h[3] &+= d
        h[4] &+= e
    }
    return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
}
