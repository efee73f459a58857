import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing

@testable import Torrus

/// The HTTP server's connection limits: header, body and idle timeouts, the connection cap, and
/// the descriptor limit, seen from raw sockets on 127.0.0.1 (an HTTP client would hide them).
@Suite struct ConnectionLimitsTests {
    static func limits(header: Int = 10_000, body: Int = 10_000, idle: Int = 10_000, maxConnections: Int = 4096) -> HTTPConnectionLimits {
        var limits = HTTPConnectionLimits()
        limits.headerTimeout = .milliseconds(header)
        limits.bodyTimeout = .milliseconds(body)
        limits.idleTimeout = .milliseconds(idle)
        limits.maxConnections = maxConnections
        return limits
    }

    /// A server with test routes behind the limits: `/healthz`, `/slow` (thinks for 800 ms),
    /// `/stream` (ten chunks 100 ms apart, like an event stream) and `POST /echo`.
    static func withServer(
        _ limits: HTTPConnectionLimits,
        _ test: @escaping @Sendable (_ port: Int, _ connections: ConnectionCap, _ registry: PrometheusCollectorRegistry) async throws -> Void
    ) async throws {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        router.get("slow") { _, _ in
            try await Task.sleep(for: .milliseconds(800))  // the handler's work, not synchronisation
            return "done"
        }
        router.get("stream") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    for tick in 0..<10 {
                        try await writer.write(ByteBuffer(string: "tick \(tick)\n"))
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.post("echo") { request, _ in
            "\(try await request.body.collect(upTo: 1 << 20).readableBytes)"
        }
        let registry = PrometheusCollectorRegistry()
        var logger = Logger(label: "ConnectionLimitsTests")
        logger.logLevel = .critical
        let connections = ConnectionCap(maximum: limits.maxConnections, factory: PrometheusMetricsFactory(registry: registry), logger: logger)
        let app = Application(router: router, server: .http1(limits: limits, connections: connections), logger: logger)
        try await app.test(.live) { client in
            try await test(try #require(client.port), connections, registry)
        }
    }

    static func metrics(_ registry: PrometheusCollectorRegistry) -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static func waitForClose(_ socket: RawSocket, timeout: Duration = .seconds(5)) async throws {
        try await eventually(timeout: timeout, "the server to close the connection") { socket.poll().closedByPeer }
    }

    static let healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"

    @Test func anIdleConnectionIsClosedAfterTheIdleTimeout() async throws {
        try await Self.withServer(Self.limits(idle: 300)) { port, _, _ in
            // Taken before the request: the server's idle deadline is later than this plus 300 ms.
            let sentAt = ContinuousClock.now
            let socket = try RawSocket(port: port)
            try socket.send(Self.healthz)
            try await eventually("the response") { socket.poll().hasCompleteResponse }
            #expect(socket.text.hasPrefix("HTTP/1.1 200"))
            try await Self.waitForClose(socket)
            #expect(ContinuousClock.now - sentAt >= .milliseconds(300))
        }
    }

    @Test func halfAHeadIsAnswered408AndClosed() async throws {
        try await Self.withServer(Self.limits(header: 300)) { port, _, _ in
            let sentAt = ContinuousClock.now
            let socket = try RawSocket(port: port)
            try socket.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            try await Self.waitForClose(socket)
            #expect(ContinuousClock.now - sentAt >= .milliseconds(300))
            #expect(socket.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(socket.text)")
            #expect(socket.text.contains("Content-Type: application/problem+json\r\n"))
            #expect(socket.text.contains("Connection: close\r\n"))
            #expect(socket.text.contains(#""status":408"#))
        }
    }

    /// Between requests the idle timeout (long here) applies; the first byte of the next request
    /// starts the header timeout (short).
    @Test func halfAHeadAfterAKeepAliveRequestIsAnswered408() async throws {
        try await Self.withServer(Self.limits(header: 300, idle: 30_000)) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send(Self.healthz)
            try await eventually("the first response") { socket.poll().hasCompleteResponse }
            let first = socket.received.count
            try socket.send("GET /healthz HTTP/1.1\r\nHo")
            try await Self.waitForClose(socket)
            #expect(String(decoding: socket.received[first...], as: UTF8.self).hasPrefix("HTTP/1.1 408"))
        }
    }

    @Test func halfABodyIsClosedAfterTheBodyTimeout() async throws {
        try await Self.withServer(Self.limits(body: 300)) { port, _, _ in
            let sentAt = ContinuousClock.now
            let socket = try RawSocket(port: port)
            try socket.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n0123456789")
            try await Self.waitForClose(socket)
            #expect(ContinuousClock.now - sentAt >= .milliseconds(300))
            #expect(!socket.text.contains("HTTP/1.1 200"))
        }
    }

    /// A slow handler and a streaming response both outlast the body and idle timeouts, and are
    /// not cut; once the responses are done, the same connection does time out as idle. Both
    /// requests go in one write (pipelined), so no pause of the test itself can look idle.
    @Test func aResponseInProgressIsNeverIdle() async throws {
        try await Self.withServer(Self.limits(header: 5000, body: 200, idle: 200)) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send("GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nGET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            // Generous: a busy test run can stall this process for seconds; what is tested is
            // that the connection is not cut, however long the responses take.
            try await eventually(timeout: .seconds(60), "both responses or a close") {
                socket.poll().text.hasSuffix("0\r\n\r\n") || socket.closedByPeer
            }
            let text = socket.text
            #expect(text.hasPrefix("HTTP/1.1 200") && text.contains("done"), "\(text)")
            #expect(text.contains("tick 9\n") && text.hasSuffix("0\r\n\r\n"), "\(text)")
            try await Self.waitForClose(socket)
        }
    }

    @Test func connectionsOverTheCapAreAnswered503UntilOnesClose() async throws {
        // Three places: the test framework's own client holds one.
        try await Self.withServer(Self.limits(maxConnections: 3)) { port, connections, registry in
            let held = try [RawSocket(port: port), RawSocket(port: port)]
            try await eventually("three open connections") { connections.open == 3 }

            let rejected = try RawSocket(port: port)
            try rejected.send(Self.healthz)
            try await Self.waitForClose(rejected)
            #expect(rejected.text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), "\(rejected.text)")
            #expect(rejected.text.contains("Retry-After: 1\r\n"))
            #expect(rejected.text.contains("Connection: close\r\n"))
            #expect(rejected.text.contains("Content-Type: application/problem+json\r\n"))
            #expect(rejected.text.contains(#""status":503"#))
            #expect(Self.metrics(registry).contains("torrus_http_connections_rejected_total 1"))
            #expect(Self.openConnections(registry) == 3)

            held[0].close()
            try await eventually("a free place") { connections.open == 2 }
            let admitted = try RawSocket(port: port)
            try admitted.send(Self.healthz)
            try await eventually("the response") { admitted.poll().hasCompleteResponse }
            #expect(admitted.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    /// 2,000 idle sockets (under the cap) while `/healthz` is asked again and again, each answer
    /// within 5 s; then the flood goes and the gauge counts back down. Through
    /// `buildApplication`, as torrusd runs it. (That the header timeout closes such sockets is
    /// `halfAHeadIsAnswered408AndClosed`'s job; here it is long, so a slow machine cannot close
    /// the flood before it is measured.)
    @Test(.timeLimit(.minutes(2))) func healthzKeepsAnsweringDuringAnIdleFlood() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": API.token, "TORRUS_STORAGE": "memory", "TORRUS_CLIENT": "noop", "TORRUS_DATA_DIR": directory.path,
            "TORRUS_HTTP_HEADER_TIMEOUT_MS": "600000",
        ])
        let registry = PrometheusCollectorRegistry()
        let app = try buildApplication(configuration, logger: CapturedLogs().logger(), metrics: registry)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // In batches that fit the listen backlog (256): beyond it the kernel drops handshakes
            // and retries them seconds later, which would test the kernel, not Torrus.
            var flood: [RawSocket] = []
            let floodStart = ContinuousClock.now
            while flood.count < 2000 {
                flood += try (0..<200).map { _ in try RawSocket(port: port) }
                try await eventually(timeout: .seconds(20), "\(flood.count) open connections") {
                    Self.openConnections(registry) >= flood.count
                }
            }
            let floodOpen = ContinuousClock.now - floodStart

            let latencies = try await Self.askHealthz(port: port, times: 20)
            let slowest = latencies.max() ?? .zero
            #expect(Self.openConnections(registry) >= 2000, "the flood was still open while /healthz answered")
            #expect(!flood.contains { $0.poll().closedByPeer })

            for socket in flood { socket.close() }
            // The gauge counts them down again (at most the test framework's client is left).
            try await eventually("the server to count them closed") { Self.openConnections(registry) <= 1 }
            print("Idle flood: 2000 sockets open in \(floodOpen); slowest of 20 /healthz during it: \(slowest)")
        }
    }

    /// Asks `/healthz` `times` times, each on a new connection, and returns how long each took.
    /// Runs on its own thread, so a busy task pool cannot add to the times; each must answer
    /// 200 within 5 s.
    static func askHealthz(port: Int, times: Int) async throws -> [Duration] {
        struct NoAnswer: Error {}
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result {
                        try (0..<times).map { _ in
                            let started = ContinuousClock.now
                            let probe = try RawSocket(port: port)
                            try probe.send(healthz)
                            guard probe.waitForCompleteResponse(timeout: .seconds(5)), probe.text.hasPrefix("HTTP/1.1 200") else {
                                throw NoAnswer()
                            }
                            return ContinuousClock.now - started
                        }
                    }
                )
            }
        }
    }

    static func openConnections(_ registry: PrometheusCollectorRegistry) -> Int {
        let line = metrics(registry).split(separator: "\n").first { $0.hasPrefix("torrus_http_open_connections ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    @Test func theDescriptorLimitIsRaisedToTheHardLimit() throws {
        let before = try #require(FileDescriptorLimit.current())
        // Start below the hard limit (one below is harmless to everything else in this process).
        var lowered = rlimit(rlim_cur: rlim_t(before.hard - 1), rlim_max: rlim_t(before.hard))
        #expect(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0)
        #expect(FileDescriptorLimit.current()?.soft == before.hard - 1)

        let after = try #require(FileDescriptorLimit.raiseSoftToHard(logger: CapturedLogs().logger()))
        #expect(after.soft == after.hard)
        #expect(FileDescriptorLimit.current()?.soft == before.hard)
    }
}
