import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Sits behind the HTTP decoder and tells the connection's `ConnectionTimeoutHandler` where each
/// request and response stands; every part passes through unchanged. It also sees the decoder's
/// errors: a request the parser cannot read (a malformed `Content-Length`, a control character in
/// a header, a bad request line) is answered with a 400 problem, as every other error, instead of
/// Hummingbird's empty 400 (or, for a header the type conversion refuses, no answer at all).
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

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let reason = Self.unreadable(error), timeouts?.answerUnreadableRequest(reason) == true else {
            context.fireErrorCaught(error)
            return
        }
    }

    /// What the client got wrong, in words; nil for errors that are not about the request bytes.
    private static func unreadable(_ error: any Error) -> String? {
        switch error {
        case let error as HTTPParserError:
            switch error {
            case .invalidContentLength, .unexpectedContentLength: "a malformed Content-Length header"
            case .invalidHeaderToken, .invalidCharactersUsed: "an invalid character in a header"
            case .headerOverflow: "headers too large"
            case .invalidMethod: "an invalid method"
            case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort: "an invalid request target"
            case .invalidVersion: "an unsupported HTTP version"
            case .invalidChunkSize: "a malformed chunked body"
            default: "malformed request (\(error))"
            }
        case is HTTP1TypeConversionError: "a request line or header that cannot be read"
        default: nil
        }
    }
}

@available(*, unavailable)
extension HTTPPartObserver: Sendable {}
