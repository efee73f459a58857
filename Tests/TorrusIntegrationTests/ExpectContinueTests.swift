import Foundation
import Testing

@testable import Torrus

/// `Expect: 100-continue` (what curl sends with a body over 1 MiB, such as a `.torrent` upload)
/// is answered with `100 Continue` before the body is sent, not after the client gives up waiting.
struct ExpectContinueTests {
    static let continueLine = "HTTP/1.1 100 Continue\r\n\r\n"

    @Test(arguments: ["100-continue", "100-Continue"])
    func aClientThatWaitsForContinueGetsItBeforeSendingItsBody(_ expect: String) async throws {
        try await ConnectionLimitsTests.withServer(ConnectionLimitsTests.limits()) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send("POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: \(expect)\r\nContent-Length: 10\r\n\r\n")
            // Long enough for a busy machine, far shorter than curl's 1 s wait would need to be
            // noticed: the 100 arrives with no body sent at all.
            try await eventually(timeout: .seconds(5), "100 Continue before the body") { socket.poll().text.hasPrefix(Self.continueLine) }
            try socket.send("0123456789")
            try await eventually("the final response") { socket.poll().text.hasSuffix("\r\n\r\n10") }
            let final = socket.text.dropFirst(Self.continueLine.count)
            #expect(final.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(socket.text)")
            #expect(!final.contains("100 Continue"))
        }
    }

    /// A request pipelined behind one whose response is still being written (`/stream`, ten
    /// chunks 100 ms apart) gets no 100 in the middle of it: both responses arrive whole, in order.
    @Test func noContinueInsideAnEarlierResponse() async throws {
        try await ConnectionLimitsTests.withServer(ConnectionLimitsTests.limits()) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send(
                "GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\nPOST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab"
            )
            try await eventually(timeout: .seconds(30), "both responses") { socket.poll().text.hasSuffix("\r\n\r\n2") }
            let text = socket.text
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(text)")
            #expect(!text.contains("100 Continue"), "\(text)")
            #expect(text.contains("tick 9\n0\r\n\r\nHTTP/1.1 200 OK\r\n") || text.contains("tick 9\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n"), "\(text)")
        }
    }

    /// RFC 9110 §10.1.1: no 100 to an HTTP/1.0 client; none without `Expect`.
    @Test(arguments: [
        "POST /echo HTTP/1.0\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
        "POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nab",
    ])
    func noContinueUnlessAnHTTP11ClientAsksForIt(_ request: String) async throws {
        try await ConnectionLimitsTests.withServer(ConnectionLimitsTests.limits()) { port, _, _ in
            let socket = try RawSocket(port: port)
            try socket.send(request)
            try await eventually("the response") { socket.poll().hasCompleteResponse }
            #expect(socket.text.hasPrefix("HTTP/1.") && socket.text.contains(" 200 OK\r\n"), "\(socket.text)")
            #expect(!socket.text.contains("100 Continue"))
        }
    }
}
