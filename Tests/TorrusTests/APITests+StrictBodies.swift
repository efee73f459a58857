import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// Strict bodies: no control character in any string of any body, no key twice, UTF-8 only, and
/// `null` for an optional field the same as leaving it out.
extension APITests {
    private func create(_ client: some TestClientProtocol, _ body: [UInt8], headers: HTTPFields = auth) async throws -> TestResponse {
        try await client.execute(uri: "/v1/downloads", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    @Test(arguments: [
        (#"{"source":"http://127.0.0.1/a","targetPath":"/x\n  dir=/etc"}"#, "targetPath", "U+000A"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"/x\r"}"#, "targetPath", "U+000D"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"\t/x"}"#, "targetPath", "U+0009"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"/x\u0000"}"#, "targetPath", "U+0000"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"/x\u007f"}"#, "targetPath", "U+007F"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"/x\u0085"}"#, "targetPath", "U+0085"),
        ("{\"source\":\"http://127.0.0.1/a\",\"targetPath\":\"/x\u{9B}\"}", "targetPath", "U+009B"),
        (#"{"source":"http://127.0.0.1/a\n","desiredStatus":"Active"}"#, "source", "U+000A"),
        (#"{"source":"http://127.0.0.1/a","desiredStatus":"Active\u001b[31m"}"#, "desiredStatus", "U+001B"),
        // A hostile key is named with its control characters escaped, never echoed raw.
        (#"{"source":"http://127.0.0.1/a","x\u001b[31m":1}"#, #"x\u001B[31m"#, "U+001B"),
    ])
    func aControlCharacterInAnyFieldIs400NamingIt(_ body: String, _ field: String, _ scalar: String) async throws {
        try await app().test(.router) { client in
            let response = try await create(client, Array(body.utf8))
            try Self.expectProblem(response, .badRequest, detail: "Field '\(field)' contains a control character (\(scalar))")
        }
        #expect(try await repo.list().isEmpty)
        #expect(downloader.calls.isEmpty)
    }

    @Test func aControlCharacterInADeleteOrPatchBodyIs400Too() async throws {
        try await app().test(.router) { client in
            let created = try await create(client, Array(#"{"source":"http://127.0.0.1/a"}"#.utf8))
            let id = try #require(try API.json(created.body)["id"] as? String)
            let patch = try await client.execute(
                uri: "/v1/downloads/\(id)",
                method: .patch,
                headers: Self.auth,
                body: ByteBuffer(string: #"{"desiredStatus":"Paused\u0000"}"#)
            )
            try Self.expectProblem(patch, .badRequest, detail: "Field 'desiredStatus' contains a control character")
        }
    }

    @Test(arguments: [
        (#"{"source":"http://127.0.0.1/a","source":"http://127.0.0.1/b"}"#, "source"),
        (#"{"source":"http://127.0.0.1/a","targetPath":null,"targetPath":"/etc"}"#, "targetPath"),
        (#"{"source":"http://127.0.0.1/a","\u0073ource":"http://127.0.0.1/b"}"#, "source"),
    ])
    func aDuplicateKeyIs400NamingIt(_ body: String, _ field: String) async throws {
        try await app().test(.router) { client in
            try Self.expectProblem(try await create(client, Array(body.utf8)), .badRequest, detail: "Field '\(field)' appears more than once")
        }
        #expect(try await repo.list().isEmpty)
    }

    static let notUTF8: [[UInt8]] = {
        let json = #"{"source":"http://127.0.0.1/a"}"#
        let invalidByte: [UInt8] = Array(#"{"source":""#.utf8) + [0xFF] + Array(#""}"#.utf8)
        let truncatedKey: [UInt8] = Array(#"{"a"#.utf8) + [0xC3] + Array(#"":1}"#.utf8)
        var utf16LE: [UInt8] = []
        var utf16BE: [UInt8] = [0xFE, 0xFF]
        for unit in json.utf16 {
            utf16LE += [UInt8(unit & 0xFF), UInt8(unit >> 8)]
            utf16BE += [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        return [invalidByte, truncatedKey, utf16LE, utf16BE]
    }()

    @Test(arguments: notUTF8)
    func aBodyThatIsNotUTF8Is415(_ body: [UInt8]) async throws {
        try await app().test(.router) { client in
            try Self.expectProblem(try await create(client, body), .unsupportedMediaType, detail: "UTF-8")
        }
        #expect(try await repo.list().isEmpty)
    }

    @Test(arguments: ["null", " null ", "[]", "\"x\"", "1"])
    func aBodyThatIsNotAnObjectGetsAReadableMessage(_ body: String) async throws {
        try await app().test(.router) { client in
            let response = try await create(client, Array(body.utf8))
            try Self.expectProblem(response, .badRequest, detail: "The request body must be a JSON object")
        }
    }

    /// One rule everywhere: `null` for an optional field is the same as leaving it out.
    @Test func nullForAnOptionalFieldMeansAbsent() async throws {
        try await app().test(.router) { client in
            let explicit = try await create(client, Array(#"{"source":"http://127.0.0.1/n","targetPath":null,"desiredStatus":null}"#.utf8))
            #expect(explicit.status == .created)
            let body = try API.json(explicit.body)
            #expect(body["targetPath"] as? String == root.path)
            #expect(body["desiredStatus"] as? String == "Queued")
            // The same download as without the fields: idempotency sees no difference.
            #expect(try await create(client, Array(#"{"source":"http://127.0.0.1/n"}"#.utf8)).status == .ok)
            let id = try #require(body["id"] as? String)
            let delete = try await client.execute(
                uri: "/v1/downloads/\(id)",
                method: .delete,
                headers: Self.auth,
                body: ByteBuffer(string: #"{"deleteFiles":null}"#)
            )
            #expect(delete.status == .noContent)
            #expect(downloader.calls.last == .purge(GID(rawValue: try #require(body["gid"] as? String)), deleteFiles: false))
            // A required field cannot be null.
            try Self.expectProblem(
                try await create(client, Array(#"{"source":null}"#.utf8)),
                .badRequest,
                detail: "'source' must be a string, not null"
            )
        }
    }

    @Test(arguments: [
        "http://127.0.0.1/a\u{202E}gpj.exe", "http://127.0.0.1/\u{200B}a", "http://exa\u{00AD}mple.com/a", "http://127.0.0.1/a\u{2028}",
        "http://127.0.0.1%00.evil.com/a", "http://127.0.0.1/a%0Ab", "http://127.0.0.1/a%7F", "http://127.0.0.1/a%C2%85",
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=a%0Adir=/etc",
    ])
    func sourcesRejectInvisibleCharactersAndEncodedControls(_ source: String) async throws {
        try await app().test(.router) { client in
            let body = try JSONSerialization.data(withJSONObject: ["source": source])
            try Self.expectProblem(try await create(client, Array(body)), .badRequest, detail: "source must not contain")
        }
        #expect(try await repo.list().isEmpty)
    }

    @Test func anEncodedControlInTheQueryIsLeftAlone() async throws {
        try await app().test(.router) { client in
            // The query is opaque to aria2's file naming; signed URLs may carry anything there.
            let response = try await create(client, Array(#"{"source":"http://127.0.0.1/a.bin?sig=x%0Ay"}"#.utf8))
            #expect(response.status == .created)
            #expect(try API.json(response.body)["name"] as? String == "a.bin")
        }
    }
}
