import Foundation
import Testing

@testable import Torrus

/// Requests the HTTP parser cannot read still get a problem+json answer, where the server can
/// give one, instead of an empty 400 or a connection closed without a word.
struct MalformedRequestTests {
    @Test(arguments: [
        ("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n", "a malformed Content-Length header"),
        ("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "Content-Length"),
        ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: a\u{01}b\r\n\r\n", "an invalid character in a header"),
        ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: a\rb\r\n\r\n", "not valid HTTP/1.1"),
        ("GET /hea lthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "not valid HTTP/1.1"),
    ])
    func aRequestTheParserRejectsGetsAProblemAnswer(_ request: String, _ detail: String) async throws {
        try await ConnectionLimitsTests.withServer(ConnectionLimitsTests.limits()) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send(request)
            try await ConnectionLimitsTests.waitForClose(socket)
            let text = socket.text
            #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
            #expect(text.contains("Content-Type: application/problem+json\r\n"), "\(text)")
            #expect(text.contains("Connection: close\r\n"))
            #expect(text.contains("X-Request-ID: "))
            let body = try #require(text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) })
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(problem["status"] as? Int == 400)
            #expect((problem["detail"] as? String)?.contains(detail) == true, "\(problem)")
            #expect(problem["requestId"] is String)
        }
    }

    /// A good request on the same connection first is answered normally; the bad one after it
    /// gets its own problem answer.
    @Test func aBadRequestAfterAGoodOneOnTheSameConnection() async throws {
        try await ConnectionLimitsTests.withServer(ConnectionLimitsTests.limits()) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send(ConnectionLimitsTests.healthz)
            try await eventually("the first response") { socket.poll().hasCompleteResponse }
            let first = socket.received.count
            try socket.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n")
            try await ConnectionLimitsTests.waitForClose(socket)
            let second = String(decoding: socket.received[first...], as: UTF8.self)
            #expect(second.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(second)")
            #expect(second.contains("application/problem+json"))
        }
    }
}
