import Hummingbird
import Logging
import NIOCore

/// Turns every error thrown below it into an RFC 9457 problem response, so clients never see
/// an empty body, a stack trace or a bare 500. Unexpected errors are logged (not returned:
/// their text may contain internals) and answered with a generic 500.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return problem(for: error, context: context).response(instance: request.uri.path, requestID: context.requestID)
        }
    }

    private func problem(for error: any Error, context: Context) -> ProblemDetails {
        switch error {
        case let problem as ProblemDetails:
            return problem
        case let error as TorrusError:
            return ProblemDetails(error)
        case is NIOTooManyBytesError:
            return ProblemDetails(.contentTooLarge, slug: "body-too-large", detail: "The request body exceeds \(JSONBody.maxSize) bytes.")
        case let error as HTTPError:
            return ProblemDetails(
                error.status,
                slug: error.status == .notFound ? "not-found" : "http-\(error.status.code)",
                detail: error.body ?? (error.status == .notFound ? "No such resource." : error.status.reasonPhrase),
                headers: error.headers
            )
        default:
            context.logger.error("Unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return ProblemDetails(
                .internalServerError,
                slug: "internal",
                detail: "An unexpected error occurred; the request id identifies it in the server log."
            )
        }
    }
}
