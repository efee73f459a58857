import Logging
import NIOCore

/// Enforces `ConnectionTimeoutState` on one connection. It sits first in the pipeline, before the
/// HTTP decoder, so it sees the raw bytes of a request head that has not finished (which the
/// decoder would keep to itself) and can write a 408 without going through the HTTP encoder.
/// `HTTPPartObserver`, behind the decoder, tells it about request and response parts.
///
/// One timer per connection. It is moved only when a deadline earlier than the scheduled one
/// appears; when it fires early it re-arms for the current deadline. A busy keep-alive
/// connection therefore touches the timer about once per header timeout, not once per request.
final class ConnectionTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var state: ConnectionTimeoutState
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    /// A 400 for an unreadable request went out; the connection is closing.
    private var answered = false

    init(limits: HTTPConnectionLimits, logger: Logger) {
        state = ConnectionTimeoutState(limits: limits, acceptedAt: .now())
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { rearm() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        rearm()
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        state.writable(context.channel.isWritable, at: .now())
        rearm()
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        state.bytesReceived(at: .now())
        rearm()
        context.fireChannelRead(data)
    }

    // MARK: told by HTTPPartObserver

    func requestHead() {
        state.requestHead(at: .now())
        rearm()
    }

    func requestEnd() {
        state.requestEnd()
        rearm()
    }

    func responseHead() {
        state.responseHead()
    }

    func responseEnd() {
        state.responseEnd(at: .now())
        rearm()
    }

    /// The parser refused the bytes of a request that nothing is answering yet: answer 400 and
    /// close, from here, below the HTTP codec (whose state after a parse error is undefined).
    /// Returns false when a request is being read or answered; the caller then just lets the
    /// error close the connection.
    func answerUnreadableRequest(_ reason: String) -> Bool {
        guard state.awaitingRequest, !answered, let context else { return false }
        answered = true
        cancelTimer()
        context.writeAndFlush(wrapOutboundOut(ConnectionProblemResponse.unreadableRequest(reason))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
        return true
    }

    // MARK: the timer

    /// Schedules the timer for the current deadline unless it is already due no later than that.
    private func rearm() {
        guard let deadline = state.next?.deadline, let context else { return }
        if let timerDeadline, timerDeadline <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [weak self] in
            self?.timerFired()
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    private func timerFired() {
        timer = nil
        timerDeadline = nil
        guard let (deadline, expiry) = state.next, let context else { return }
        guard deadline <= .now() else {
            rearm()
            return
        }
        switch expiry {
        case .header(bytesReceived: true):
            logger.debug("Closing a connection whose request head did not arrive in time")
            let written = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(ConnectionProblemResponse.requestTimeout), promise: written)
            written.futureResult.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .header(bytesReceived: false):
            logger.trace("Closing a connection that sent nothing")
            context.close(promise: nil)
        case .body:
            logger.debug("Closing a connection whose request body did not arrive in time")
            context.close(promise: nil)
        case .idle:
            logger.trace("Closing an idle connection")
            context.close(promise: nil)
        case .send:
            logger.debug("Closing a connection whose client has read nothing for the send timeout")
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension ConnectionTimeoutHandler: Sendable {}
