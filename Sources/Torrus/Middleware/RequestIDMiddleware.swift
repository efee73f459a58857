import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Echoes a client's `X-Request-ID` (when it is a sane token) or generates one, returns it on
/// the response, and binds it into the task-local logger so that everything the request starts
/// — service, repo, downloader — logs it as `request_id`.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? GeneratedRequestID.next()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        let logger = context.logger
        var response = try await withLogger(logger) { _ in try await next(request, context) }
        response.headers[Self.header] = id
        return response
    }

    /// At most 128 visible ASCII characters: anything else could forge log lines or headers.
    static func acceptable(_ value: String) -> String? {
        guard !value.isEmpty, value.utf8.count <= 128, value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            return nil
        }
        return value
    }
}
