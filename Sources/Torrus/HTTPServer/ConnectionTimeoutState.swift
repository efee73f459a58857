import NIOCore

/// The timeout rules of one HTTP/1 connection, as a value fed with what happens on it. It answers
/// one question: when does the connection expire next, and why.
///
/// - Before the first request: the header timeout, counted from accept.
/// - Between requests: the idle timeout from the end of the last response, until a byte of the
///   next request arrives; from then on the header timeout, counted from that byte.
/// - From a request head to the end of its body: the body timeout.
/// - While a response is being produced or sent: nothing. A handler may think for as long as it
///   needs and a response may stream for as long as it lasts (event streams hold one open for
///   hours), so a connection with a response in progress is never idle.
/// - Whenever the send buffer is full (the client reads nothing): the send timeout, from when it
///   filled. A client that stops reading an event stream would otherwise hold it, and whatever
///   it was sent, forever.
struct ConnectionTimeoutState {
    enum Expiry: Equatable {
        /// The request head did not arrive in time; `bytesReceived` tells whether any of it did.
        case header(bytesReceived: Bool)
        case body
        case idle
        case send
    }

    private let headerTimeout: TimeAmount
    private let bodyTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    private let sendTimeout: TimeAmount
    /// When the send buffer filled; nil while the connection is writable.
    private var sendBlockedSince: NIODeadline?

    private let acceptedAt: NIODeadline
    private var hadRequest = false
    /// When the first byte of a head not yet decoded arrived; nil when no such bytes are pending.
    private var headStartedAt: NIODeadline?
    /// When the head of the request whose body is still being read arrived; nil outside a body.
    private var bodyStartedAt: NIODeadline?
    /// Request heads read minus responses ended: more than zero means a handler is at work.
    private var requestsInFlight = 0
    /// A response head was written and its end not yet.
    private var responseOpen = false
    /// The end of the last response (or accept).
    private var idleSince: NIODeadline

    init(limits: HTTPConnectionLimits, acceptedAt: NIODeadline) {
        headerTimeout = TimeAmount(limits.headerTimeout)
        bodyTimeout = TimeAmount(limits.bodyTimeout)
        idleTimeout = TimeAmount(limits.idleTimeout)
        sendTimeout = TimeAmount(limits.sendTimeout)
        self.acceptedAt = acceptedAt
        idleSince = acceptedAt
    }

    /// Raw bytes arrived. Outside a body they belong to a request head; only the first such
    /// byte matters, so the clock is read only then.
    mutating func bytesReceived(at now: @autoclosure () -> NIODeadline) {
        if bodyStartedAt == nil, headStartedAt == nil { headStartedAt = now() }
    }

    mutating func requestHead(at now: NIODeadline) {
        hadRequest = true
        headStartedAt = nil
        bodyStartedAt = now
        requestsInFlight += 1
    }

    mutating func requestEnd() {
        bodyStartedAt = nil
    }

    /// A final (not 1xx) response head was written.
    mutating func responseHead() {
        responseOpen = true
    }

    mutating func responseEnd(at now: NIODeadline) {
        responseOpen = false
        requestsInFlight = max(0, requestsInFlight - 1)
        idleSince = now
    }

    /// The channel stopped (false) or started again (true) accepting writes.
    mutating func writable(_ writable: Bool, at now: NIODeadline) {
        sendBlockedSince = writable ? nil : (sendBlockedSince ?? now)
    }

    /// No request is being read or answered: a parse error now concerns a request nobody has
    /// answered yet, so answering it cannot cut into another response.
    var awaitingRequest: Bool {
        requestsInFlight == 0 && !responseOpen
    }

    /// The next expiry, or nil while a response is in progress. A deadline that started while a
    /// response was still being sent (a pipelined request) counts from the end of that response.
    var next: (deadline: NIODeadline, expiry: Expiry)? {
        if let sendBlockedSince { return (sendBlockedSince + sendTimeout, .send) }
        if responseOpen { return nil }
        if let bodyStartedAt { return (max(bodyStartedAt, idleSince) + bodyTimeout, .body) }
        if requestsInFlight > 0 { return nil }
        if !hadRequest { return (acceptedAt + headerTimeout, .header(bytesReceived: headStartedAt != nil)) }
        if let headStartedAt { return (max(headStartedAt, idleSince) + headerTimeout, .header(bytesReceived: true)) }
        return (idleSince + idleTimeout, .idle)
    }
}
