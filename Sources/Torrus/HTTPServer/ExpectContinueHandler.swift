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
/// after it, as it would without `Expect`.
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), Self.expectsContinue(head) {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }

    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        (head.version.major, head.version.minor) >= (1, 1) && head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }
}

@available(*, unavailable)
extension ExpectContinueHandler: Sendable {}
