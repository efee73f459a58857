import Hummingbird

/// HTTP method semantics the router does not give: `HEAD` wherever `GET` works (the `GET`
/// response without its body, with its `Content-Length`), `OPTIONS` answered with `Allow`, and
/// 405 with `Allow` for any other method on a known path instead of the router's 404.
///
/// Only requests the router could not match pay for the table lookup.
struct MethodsMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .head else { return try await route(request, context: context, next: next) }
        var head = request.head
        head.method = .get
        let response: Response
        do {
            response = try await route(Request(head: head, body: request.body), context: context, next: next)
        } catch {
            // A HEAD answer never has a body, not even a problem document: map it here, where
            // the body can still be dropped.
            response = ProblemDetails(mapping: error, logger: context.logger).response(instance: request.uri.path, requestID: context.requestID)
        }
        var headers = response.headers
        if headers[.contentLength] == nil, let length = response.body.contentLength {
            headers[.contentLength] = String(length)
        }
        return Response(status: response.status, headers: headers, body: .init())
    }

    private func route(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allow = routes.allow(for: request.uri.path) else { throw error }
            if request.method == .options {
                return Response(status: .noContent, headers: [.allow: allow])
            }
            throw ProblemDetails(
                .methodNotAllowed,
                slug: "method-not-allowed",
                detail: "\(request.method.rawValue) is not supported here; allowed: \(allow).",
                headers: [.allow: allow]
            )
        }
    }
}
