import Foundation
import Hummingbird
import Logging
import NIOCore

/// An RFC 9457 problem response (`application/problem+json`). Every error Torrus returns,
/// from any layer, is one of these; `ErrorMappingMiddleware` makes sure of it.
///
/// It is an `HTTPResponseError`, so everything between the mapping and `ProblemMiddleware`
/// (Hummingbird's metrics middleware above all) sees the real status of a failed request.
public struct ProblemDetails: HTTPResponseError, Encodable, Sendable {
    /// A stable identifier of the kind of problem, e.g. `urn:torrus:problem:conflict`.
    public var type: String
    public var title: String
    public var statusCode: Int
    public var detail: String
    /// The request path the problem occurred on.
    public var instance: String?
    /// The request id, to find the matching log lines.
    public var requestId: String?
    /// Extra headers the response must carry (e.g. `WWW-Authenticate`, `Allow`).
    public var headers: HTTPFields = [:]

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }

    enum CodingKeys: String, CodingKey {
        case type, title, detail, instance, requestId
        case statusCode = "status"
    }

    public init(_ status: HTTPResponse.Status, slug: String, detail: String, headers: HTTPFields = [:]) {
        self.type = "urn:torrus:problem:\(slug)"
        self.title = status.reasonPhrase
        self.statusCode = status.code
        self.detail = detail
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(instance: request.uri.path, requestID: (context as? TorrusRequestContext)?.requestID ?? "")
    }

    func response(instance: String, requestID: String) -> Response {
        var problem = self
        problem.instance = instance
        problem.requestId = requestID.isEmpty ? nil : requestID
        let body = (try? JSONCoding.encoder().encode(problem)) ?? Data(#"{"title":"Internal Server Error","status":500}"#.utf8)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension ProblemDetails {
    /// The one mapping from Torrus's error codes to HTTP.
    init(_ error: TorrusError) {
        switch error.code {
        case .invalidInput: self.init(.badRequest, slug: "invalid-request", detail: error.message)
        case .notFound: self.init(.notFound, slug: "not-found", detail: error.message)
        case .conflict: self.init(.conflict, slug: "conflict", detail: error.message)
        case .tooLarge: self.init(.contentTooLarge, slug: "body-too-large", detail: error.message)
        case .downloaderUnavailable: self.init(.badGateway, slug: "downloader-unavailable", detail: error.message)
        case .downloaderRejected: self.init(.badGateway, slug: "downloader-error", detail: error.message)
        }
    }

    static func badRequest(_ detail: String) -> ProblemDetails {
        ProblemDetails(.badRequest, slug: "invalid-request", detail: detail)
    }

    /// Any error as the problem the client sees. Unexpected errors are logged (not returned:
    /// their text may contain internals) and answered with a generic 500.
    init(mapping error: any Error, logger: Logger) {
        switch error {
        case let problem as ProblemDetails:
            self = problem
        case let error as TorrusError:
            self.init(error)
        case is NIOTooManyBytesError:
            self.init(.contentTooLarge, slug: "body-too-large", detail: "The request body exceeds \(JSONBody.maxSize) bytes.")
        case let error as HTTPError:
            self.init(
                error.status,
                slug: error.status == .notFound ? "not-found" : "http-\(error.status.code)",
                detail: error.body ?? (error.status == .notFound ? "No such resource." : error.status.reasonPhrase),
                headers: error.headers
            )
        default:
            logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            self.init(
                .internalServerError,
                slug: "internal",
                detail: "An unexpected error occurred; the request id identifies it in the server log."
            )
        }
    }
}
