import Hummingbird
import Logging
import NIOCore

/// One line per request: method, path, status, duration, response bytes, request id. The query
/// string and headers are never logged, so neither a token nor a secret can leak here.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        context.logger.info(
            "request",
            metadata: [
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "status": .stringConvertible(response.status.code),
                "duration_ms": .string(String(format: "%.3f", milliseconds)),
                "bytes": .string(response.body.contentLength.map(String.init) ?? "-"),
            ]
        )
        return response
    }
}
