import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Answers a request the HTTP parser cannot read (a malformed `Content-Length`, a control
/// character in a header, a bad request line) with a 400 problem+json, as every other error, and
/// closes the connection. Without it Hummingbird answers a parse error with an empty 400 and a
/// header the type conversion refuses with no answer at all.
///
/// Sits in the channel pipeline after the HTTP decoder. Only when no response is under way: a
/// parse error in a pipelined request behind one still being answered just closes, as before.
final class ParseErrorProblemHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests whose head went up and whose response has not ended yet.
    private var inFlight = 0
    private var answered = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { inFlight += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight -= 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let reason = Self.reason(error), inFlight == 0, !answered else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let requestID = UUID().uuidString.lowercased()
        var problem = ProblemDetails.badRequest("The request is not valid HTTP/1.1: \(reason).")
        problem.requestId = requestID
        let body = (try? JSONCoding.encoder().encode(problem)).map { ByteBuffer(bytes: $0) } ?? ByteBuffer()
        let head = HTTPResponse(
            status: .badRequest,
            headerFields: [
                .contentType: "application/problem+json",
                .contentLength: String(body.readableBytes),
                .connection: "close",
                HTTPField.Name("X-Request-ID")!: requestID,
            ]
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// What the client got wrong, in words; nil for errors that are not about the request bytes.
    private static func reason(_ error: any Error) -> String? {
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
