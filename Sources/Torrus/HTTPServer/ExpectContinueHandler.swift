import NIOCore
import NIOHTTP1

/// Answers `Expect: 100-continue` with `100 Continue` as soon as the request head is read, so a
/// client that waits for it (curl does, for any body over 1 MiB: a `.torrent` upload) sends its
/// body at once instead of after its own timeout — a full second with curl. Hummingbird sends no
/// interim responses of its own.
///
/// It sits in front of the HTTP/1 to HTTP types codec, where the request's version is still
/// known: RFC 9110 §10.1.1 forbids a 100 to an HTTP/1.0 client. The 100 is sent whatever the
/// route will make of the body; a request refused later (401, 413) simply gets its final answer
/// after it, as it would without `Expect`. A pipelined request that arrives while an earlier
/// response is still being written gets no 100 (it would land inside that response); the client
/// sends its body when its wait ends, as RFC 9110 has it do.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Request heads read whose response has not been written to its end.
    private var unanswered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            if unanswered == 0, Self.expectsContinue(head) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            unanswered += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        (head.version.major, head.version.minor) >= (1, 1) && head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }
}

@available(*, unavailable)
extension ExpectContinueHandler: Sendable {}
