import NIOCore
import Testing

@testable import Torrus

/// The connection timeout rules themselves, on a clock the test moves (the sockets are
/// `ConnectionLimitsTests`' job).
struct ConnectionTimeoutStateTests {
    @Test func timeoutStateFollowsTheRequestCycle() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }
        var limits = HTTPConnectionLimits()
        limits.headerTimeout = .milliseconds(100)
        limits.bodyTimeout = .milliseconds(200)
        limits.idleTimeout = .milliseconds(300)
        var state = ConnectionTimeoutState(limits: limits, acceptedAt: start)
        #expect(state.next?.deadline == at(100) && state.next?.expiry == .header(bytesReceived: false))
        state.bytesReceived(at: at(10))
        #expect(state.next?.deadline == at(100) && state.next?.expiry == .header(bytesReceived: true))
        state.requestHead(at: at(20))
        #expect(state.next?.deadline == at(220) && state.next?.expiry == .body)
        state.requestEnd()
        #expect(state.next == nil, "the handler is at work")
        state.responseHead()
        state.responseEnd(at: at(1000))
        #expect(state.next?.deadline == at(1300) && state.next?.expiry == .idle)
        state.bytesReceived(at: at(1100))
        #expect(state.next?.deadline == at(1200) && state.next?.expiry == .header(bytesReceived: true))
        state.requestHead(at: at(1150))
        state.requestEnd()
        state.responseHead()
        #expect(state.next == nil, "a response is being sent")
        // A pipelined request's body, read while the response streams, counts from its end.
        state.requestHead(at: at(1160))
        #expect(state.next == nil)
        state.responseEnd(at: at(5000))
        #expect(state.next?.deadline == at(5200) && state.next?.expiry == .body)
    }
}
