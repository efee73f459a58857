import Foundation
import Hummingbird
import NIOCore

/// Strict JSON request bodies: `application/json` in UTF-8 only (415), at most 1 MiB (413), and
/// malformed JSON, unknown, read-only or repeated fields, control characters in any string and
/// wrong types rejected with a 400 that says which field is wrong. `null` for an optional field
/// means the same as leaving the field out.
enum JSONBody {
    static let maxSize = 1 << 20

    /// Decodes the body, or returns nil when the body is empty and `required` is false.
    /// `limit`: the largest body accepted (a create may carry a torrent as base64).
    static func decode<T: Decodable>(
        _ type: T.Type,
        from request: Request,
        context: TorrusRequestContext,
        required: Bool = true,
        limit: Int = maxSize
    ) async throws -> T? {
        let body = try await collect(request, limit: limit)
        if body.readableBytes == 0 {
            guard required else { return nil }
            throw ProblemDetails.badRequest("A JSON request body is required.")
        }
        try checkContentType(request.headers[.contentType])
        return try decode(type, body: body)
    }

    /// The whole body, refused with a 413 beyond `limit` — before any of it is read when the
    /// client announced its length.
    static func collect(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw ProblemDetails(.contentTooLarge, slug: "body-too-large", detail: "The request body exceeds \(limit) bytes.")
        }
        var request = request
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw ProblemDetails(.contentTooLarge, slug: "body-too-large", detail: "The request body exceeds \(limit) bytes.")
        }
    }

    /// JSON bytes (a body, or a part of a multipart form) decoded under the same rules.
    static func decode<T: Decodable>(_ type: T.Type, body: ByteBuffer, userInfo: [CodingUserInfoKey: any Sendable] = [:]) throws -> T {
        let bytes = body.readableBytesView
        // JSON in UTF-8 never holds a NUL byte; without this check the decoder would guess
        // UTF-16 from the zero bytes and accept a body that is not the UTF-8 the API promises.
        guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil else {
            throw ProblemDetails(
                .unsupportedMediaType,
                slug: "unsupported-media-type",
                detail: "The request body is not valid UTF-8; JSON bodies must be UTF-8.",
                headers: [.accept: "application/json"]
            )
        }
        switch JSONBodyScanner.scan(bytes) {
        case .duplicateKey(let field):
            throw ProblemDetails.badRequest("Field '\(TextRules.escapingControls(field))' appears more than once.")
        case .controlCharacter(let field, let scalar):
            throw ProblemDetails.badRequest(
                "Field '\(TextRules.escapingControls(field))' contains a control character (\(TextRules.describe(scalar))); control characters are not allowed in any field."
            )
        case nil:
            break
        }
        do {
            let decoder = JSONDecoder()
            decoder.userInfo = userInfo
            return try decoder.decode(T.self, from: Data(buffer: body))
        } catch let error as TorrusError {
            throw error
        } catch let error as DecodingError {
            throw ProblemDetails.badRequest(describe(error))
        }
    }

    private static func checkContentType(_ value: String?) throws {
        let mediaType = value.flatMap(MediaType.init(from:))
        guard let mediaType, mediaType.isType(.applicationJson) else {
            throw ProblemDetails(
                .unsupportedMediaType,
                slug: "unsupported-media-type",
                detail: "Request bodies must be application/json; got \(value.map { "'\($0)'" } ?? "no Content-Type").",
                headers: [.accept: "application/json"]
            )
        }
        if let charset = mediaType.parameter?.value, mediaType.parameter?.name.lowercased() == "charset",
            charset.lowercased() != "utf-8"
        {
            throw ProblemDetails(
                .unsupportedMediaType,
                slug: "unsupported-media-type",
                detail: "JSON bodies must be UTF-8; got charset \(charset)."
            )
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "The request body must be a JSON object." }
            return "Field '\(path(context.codingPath))' must be \(describe(type))."
        case .valueNotFound(let type, let context):
            if context.codingPath.isEmpty { return "The request body must be a JSON object, not null." }
            return "Field '\(path(context.codingPath))' must be \(describe(type)), not null."
        case .keyNotFound(let key, let context):
            return "Field '\(path(context.codingPath + [key]))' is required."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The request body is not valid JSON." }
            return "Field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        @unknown default:
            return "The request body could not be read."
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        default: "of type \(type)"
        }
    }
}

/// Rejects fields a request type does not accept, naming the offender. Fields of a download
/// that only the server sets get their own message, so a client that sends back a download it
/// fetched learns what it may change.
struct StrictKeys {
    static let readOnly: Set<String> = [
        "id", "gid", "name", "files", "status", "createdAt", "updatedAt", "progress", "error", "fingerprint", "infoHash",
    ]

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Throws a 400 for the first key in the object that is not in `allowed`.
    /// `field`: the object's place in the body (`options`), for the message; nil at the top.
    static func check(_ decoder: any Decoder, allowed: Set<String>, immutable: Set<String> = [], field: String? = nil) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue).sorted()
        for key in keys where !allowed.contains(key) {
            let name = field.map { "\($0).\(key)" } ?? key
            if field == nil, readOnly.contains(key) { throw TorrusError.invalidInput("Field '\(key)' is read-only.") }
            if immutable.contains(key) { throw TorrusError.invalidInput("Field '\(name)' cannot be changed after creation.") }
            throw TorrusError.invalidInput(
                "Unknown field '\(TextRules.escapingControls(name))'; allowed: \(allowed.sorted().joined(separator: ", "))."
            )
        }
    }
}
