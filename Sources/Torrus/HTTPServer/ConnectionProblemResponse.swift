import Foundation
import HTTPTypes
import NIOCore

/// The answers given below the HTTP codec, as finished HTTP/1.1 bytes: they are written straight
/// to the socket when there is no request to answer through the router (a connection over the
/// cap, a request head that never finished, one the parser could not read). All close the
/// connection afterwards.
enum ConnectionProblemResponse {
    static let serviceUnavailable = bytes(
        .serviceUnavailable,
        slug: "too-many-connections",
        detail: "The server has too many open connections; retry shortly.",
        extraHeaders: "Retry-After: 1\r\n"
    )

    static let requestTimeout = bytes(
        .requestTimeout,
        slug: "request-timeout",
        detail: "The request head was not received in time."
    )

    /// A request the HTTP parser cannot read, answered like every other error (with a request id
    /// of its own: there is no request to take one from).
    static func unreadableRequest(_ reason: String) -> ByteBuffer {
        let requestID = UUID().lowercasedString
        return bytes(
            .badRequest,
            slug: "invalid-request",
            detail: "The request is not valid HTTP/1.1: \(reason).",
            extraHeaders: "X-Request-ID: \(requestID)\r\n",
            requestID: requestID
        )
    }

    /// An RFC 9457 problem response with `Connection: close`.
    static func bytes(
        _ status: HTTPResponse.Status,
        slug: String,
        detail: String,
        extraHeaders: String = "",
        requestID: String? = nil
    ) -> ByteBuffer {
        var problem = ProblemDetails(status, slug: slug, detail: detail)
        problem.requestId = requestID
        let body = (try? JSONCoding.encoder().encode(problem)) ?? Data()
        let head =
            "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n"
            + "Content-Type: application/problem+json\r\nContent-Length: \(body.count)\r\n\(extraHeaders)Connection: close\r\n\r\n"
        var buffer = ByteBuffer(string: head)
        buffer.writeBytes(body)
        return buffer
    }
}
