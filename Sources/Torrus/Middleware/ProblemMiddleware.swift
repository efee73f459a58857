import Hummingbird

/// Turns the `ProblemDetails` thrown below it into RFC 9457 problem responses, so clients never
/// see an empty body, a stack trace or a bare 500, and the access log above it sees the final
/// status. Anything else that escapes (it should not: `ErrorMappingMiddleware` sits further in)
/// is mapped the same way.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return ProblemDetails(mapping: error, logger: context.logger).response(instance: request.uri.path, requestID: context.requestID)
        }
    }
}
