import Foundation
import Hummingbird

/// An RFC 9457 problem response (`application/problem+json`). Every error Torrus returns,
/// from any layer, is one of these; `ProblemMiddleware` makes sure of it.
public struct ProblemDetails: Error, Encodable, Sendable {
    /// A stable identifier of the kind of problem, e.g. `urn:torrus:problem:conflict`.
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    /// The request path the problem occurred on.
    public var instance: String?
    /// The request id, to find the matching log lines.
    public var requestId: String?
    /// Extra headers the response must carry (e.g. `WWW-Authenticate`, `Allow`).
    var headers: HTTPFields = [:]

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, requestId
    }

    public init(_ status: HTTPResponse.Status, slug: String, detail: String, headers: HTTPFields = [:]) {
        self.type = "urn:torrus:problem:\(slug)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.headers = headers
    }

    func response(instance: String, requestID: String) -> Response {
        var problem = self
        problem.instance = instance
        problem.requestId = requestID.isEmpty ? nil : requestID
        let body = (try? JSONCoding.encoder().encode(problem)) ?? Data(#"{"title":"Internal Server Error","status":500}"#.utf8)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}

extension ProblemDetails {
    /// The one mapping from Torrus's error codes to HTTP.
    init(_ error: TorrusError) {
        switch error.code {
        case .invalidInput: self.init(.badRequest, slug: "invalid-request", detail: error.message)
        case .notFound: self.init(.notFound, slug: "not-found", detail: error.message)
        case .conflict: self.init(.conflict, slug: "conflict", detail: error.message)
        case .downloaderUnavailable: self.init(.badGateway, slug: "downloader-unavailable", detail: error.message)
        case .downloaderRejected: self.init(.badGateway, slug: "downloader-error", detail: error.message)
        }
    }

    static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(.badRequest, slug: "invalid-request", detail: detail)
    }
}
