import NIOCore

/// The whole pipeline of a connection over the cap: answers 503 at once and closes. It closes its
/// sending side first and reads (discarding) until the client closes or `linger` passes: closing
/// outright while the client's request is still unread makes the kernel send a reset, which can
/// destroy the 503 before the client reads it.
final class ConnectionRejectHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let linger: TimeAmount
    private var lingerTimer: Scheduled<Void>?

    init(linger: TimeAmount = .seconds(1)) {
        self.linger = linger
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ConnectionProblemResponse.serviceUnavailable), promise: nil)
        context.close(mode: .output, promise: nil)
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: linger) {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingerTimer?.cancel()
        lingerTimer = nil
    }
}

@available(*, unavailable)
extension ConnectionRejectHandler: Sendable {}
