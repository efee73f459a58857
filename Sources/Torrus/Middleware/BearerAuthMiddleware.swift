import Crypto
import Foundation
import Hummingbird

/// Requires `Authorization: Bearer <TORRUS_API_TOKEN>`. Missing credentials get 401 with
/// `WWW-Authenticate: Bearer`; a wrong token gets 401 with `error="invalid_token"` (RFC 6750).
/// Tokens are compared as SHA-256 digests in constant time, so neither content nor length
/// leaks through timing.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext
    private let expected: [UInt8]

    init(token: String) {
        expected = Self.digest(token)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ProblemDetails(
                .unauthorized,
                slug: "unauthorized",
                detail: "This endpoint needs 'Authorization: Bearer <token>'.",
                headers: [.wwwAuthenticate: #"Bearer realm="torrus""#]
            )
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            Self.constantTimeEqual(Self.digest(parts[1].trimmingCharacters(in: .whitespaces)), expected)
        else {
            throw ProblemDetails(
                .unauthorized,
                slug: "invalid-token",
                detail: "The bearer token is not valid.",
                headers: [.wwwAuthenticate: #"Bearer realm="torrus", error="invalid_token""#]
            )
        }
        return try await next(request, context)
    }

    private static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// Looks at every byte whatever the first difference: the time taken says nothing.
    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
