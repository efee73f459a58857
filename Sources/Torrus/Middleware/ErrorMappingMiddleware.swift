import Hummingbird

/// Rethrows every error from the routes as the `ProblemDetails` the client will get. It sits
/// inside Hummingbird's metrics middleware, which records the status of a thrown
/// `HTTPResponseError`: without it a 404 or a 400 would be counted as a 500.
struct ErrorMappingMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw ProblemDetails(mapping: error, logger: context.logger)
        }
    }
}
