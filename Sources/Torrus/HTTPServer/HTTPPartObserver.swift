import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits behind the HTTP decoder and tells the connection's `ConnectionTimeoutHandler` where each
/// request and response stands. It only watches: every part passes through unchanged.
final class HTTPPartObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Linked once the pipeline is built (`LimitedHTTP1Channel.setup`).
    var timeouts: ConnectionTimeoutHandler?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: timeouts?.requestHead()
        case .body: break
        case .end: timeouts?.requestEnd()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        // A 100 Continue is not the response: the client sends its body after it.
        case .head(let head) where head.status.kind != .informational: timeouts?.responseHead()
        case .head, .body: break
        case .end: timeouts?.responseEnd()
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension HTTPPartObserver: Sendable {}
