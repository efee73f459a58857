import Crypto
import Hummingbird

/// Requires `Authorization: Bearer <TORRUS_API_TOKEN>`. Missing credentials get 401 with
/// `WWW-Authenticate: Bearer`; a wrong token gets 401 with `error="invalid_token"` (RFC 6750).
/// Tokens are compared as SHA-256 digests in constant time, so neither content nor length leaks
/// through timing.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext
    private let expected: [UInt8]

    init(token: String) {
        expected = Array(SHA256.hash(data: Array(token.utf8)))
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
        guard Self.accepts(header, expected: expected) else {
            throw ProblemDetails(
                .unauthorized,
                slug: "invalid-token",
                detail: "The bearer token is not valid.",
                headers: [.wwwAuthenticate: #"Bearer realm="torrus", error="invalid_token""#]
            )
        }
        return try await next(request, context)
    }

    /// Whether `header` is `Bearer <token>` (scheme in any case, blanks around the token ignored)
    /// with the expected token. Runs on every request: bytes in place, no copies.
    private static func accepts(_ header: String, expected: [UInt8]) -> Bool {
        var header = header
        return header.withUTF8 { bytes in
            let scheme = "bearer".utf8
            guard bytes.count > scheme.count, bytes[scheme.count] == UInt8(ascii: " "),
                zip(bytes, scheme).allSatisfy({ $0 | 0x20 == $1 })
            else { return false }
            var start = scheme.count + 1
            var end = bytes.count
            while start < end, bytes[start] == UInt8(ascii: " ") || bytes[start] == UInt8(ascii: "\t") { start += 1 }
            while end > start, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            guard start < end else { return false }
            let digest = SHA256.hash(data: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<end])))
            return digest.withUnsafeBytes { constantTimeEqual($0, expected) }
        }
    }

    /// Looks at every byte whatever the first difference: the time taken says nothing.
    private static func constantTimeEqual(_ lhs: UnsafeRawBufferPointer, _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in rhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
