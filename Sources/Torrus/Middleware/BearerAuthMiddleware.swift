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
        expected = Self.digest(Array(token.utf8))
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
        guard let token = Self.bearerToken(header), Self.constantTimeEqual(Self.digest(token), expected) else {
            throw ProblemDetails(
                .unauthorized,
                slug: "invalid-token",
                detail: "The bearer token is not valid.",
                headers: [.wwwAuthenticate: #"Bearer realm="torrus", error="invalid_token""#]
            )
        }
        return try await next(request, context)
    }

    private static func digest(_ token: some Collection<UInt8>) -> [UInt8] {
        Array(SHA256.hash(data: Array(token)))
    }

    /// The token of `Bearer <token>` (scheme in any case, blanks around the token ignored), as
    /// bytes: this runs on every request, so no Foundation string handling.
    private static func bearerToken(_ header: String) -> ArraySlice<UInt8>? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, bytes[scheme.count] == UInt8(ascii: " "),
            zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 })
        else { return nil }
        var token = bytes[(scheme.count + 1)...]
        while let first = token.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { token.removeFirst() }
        while let last = token.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { token.removeLast() }
        return token.isEmpty ? nil : token
    }

    /// Looks at every byte whatever the first difference: the time taken says nothing.
    private static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
