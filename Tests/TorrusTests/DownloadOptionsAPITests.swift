import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `POST /v1/downloads` with mirrors, options, a category and tags: what is accepted, stored and
/// shown, and a clear 400 for every value that must not reach aria2.
@Suite struct DownloadOptionsAPITests {
    let api: APITests

    init() throws { api = try APITests() }

    func post(_ client: some TestClientProtocol, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/downloads", method: .post, headers: APITests.auth, body: ByteBuffer(string: body))
    }

    static let sha256 = String(repeating: "0f", count: 32)

    @Test func everyOptionIsStoredAndShownWithoutHeaderValues() async throws {
        try await api.app().test(.router) { client in
            let response = try await post(
                client,
                #"""
                {"sources":["http://127.0.0.1:8080/a.iso","ftp://127.0.0.1/a.iso"],"category":"Linux ISOs","tags":["x86","lts"],
                 "options":{"out":"debian.iso","headers":["Cookie: session=s3cret","X-Trace: 1"],"maxDownloadLimit":1048576,
                 "connections":4,"checksum":"sha-256=\#(Self.sha256)"}}
                """#
            )
            #expect(response.status == .created)
            let text = String(buffer: response.body)
            #expect(!text.contains("s3cret"), "header values may be credentials: names only")
            let body = try API.json(response.body)
            #expect(body["source"] as? String == "http://127.0.0.1:8080/a.iso" && body["mirrors"] as? [String] == ["ftp://127.0.0.1/a.iso"])
            #expect(
                body["name"] as? String == "debian.iso" && body["category"] as? String == "Linux ISOs" && body["tags"] as? [String] == ["x86", "lts"]
            )
            let options = try #require(body["options"] as? [String: Any])
            #expect(options["headers"] as? [String] == ["Cookie", "X-Trace"])
            #expect(options["out"] as? String == "debian.iso" && options["maxDownloadLimit"] as? Int == 1_048_576)
            #expect(options["connections"] as? Int == 4 && options["checksum"] as? String == "sha-256=\(Self.sha256)")
            let id = try #require(UUID(uuidString: body["id"] as? String ?? ""))
            let stored = try #require(try await api.repo.get(id))
            #expect(stored.options.headers == ["Cookie: session=s3cret", "X-Trace: 1"], "kept whole for aria2")
            #expect(!api.logs.all.joined().contains("s3cret"))
        }
    }

    @Test func theFileNameAndMirrorsMakeAnotherDownloadOfTheSameSource() async throws {
        try await api.app().test(.router) { client in
            let source = "http://127.0.0.1:8080/same.iso"
            var statuses: [HTTPResponse.Status] = []
            for body in [
                #"{"source":"\#(source)"}"#,
                #"{"source":"\#(source)","options":{"out":"copy.iso"}}"#,
                #"{"source":"\#(source)","options":{"out":"copy.iso"}}"#,
                #"{"sources":["\#(source)","http://127.0.0.1:9/same.iso"]}"#,
                // One source is the plain form; other options do not make another download.
                #"{"sources":["\#(source)"]}"#,
                #"{"source":"\#(source)","options":{"connections":2},"tags":["a"]}"#,
            ] {
                statuses.append(try await post(client, body).status)
            }
            #expect(statuses == [.created, .created, .ok, .created, .ok, .ok])
        }
    }

    @Test func torrentOptionsAreAcceptedForAMagnet() async throws {
        try await api.app().test(.router) { client in
            let response = try await post(
                client,
                #"{"source":"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567","options":{"selectFiles":[1,3],"seedRatio":1.5,"seedTime":30}}"#
            )
            #expect(response.status == .created)
            let options = try #require(try API.json(response.body)["options"] as? [String: Any])
            #expect(options["selectFiles"] as? [Int] == [1, 3] && options["seedRatio"] as? Double == 1.5 && options["seedTime"] as? Int == 30)
        }
    }

    static let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"

    @Test(arguments: [
        (#""options":{"out":"a/b.iso"}"#, "file name"),
        (#""options":{"out":".."}"#, "file name"),
        (#""options":{"out":"a\u0000b"}"#, "control character"),
        (#""options":{"out":" a"}"#, "space"),
        (#""options":{"headers":["X-A: 1\r\nHost: evil"]}"#, "control character"),
        (#""options":{"headers":["Bad Name: 1"]}"#, "not a header name"),
        (#""options":{"headers":["Host: x"]}"#, "set by aria2"),
        (#""options":{"headers":["no colon"]}"#, "'Name: value'"),
        (#""options":{"maxDownloadLimit":-1}"#, "maxDownloadLimit"),
        (#""options":{"connections":0}"#, "from 1 to 16"),
        (#""options":{"connections":17}"#, "from 1 to 16"),
        (#""options":{"checksum":"crc32=00"}"#, "algorithm"),
        (#""options":{"checksum":"sha-256=abc"}"#, "64 hex digits"),
        (#""options":{"selectFiles":[1]}"#, "torrents only"),
        (#""options":{"seedRatio":1}"#, "torrents only"),
        (#""options":{"nope":1}"#, "Unknown field 'options.nope'"),
        (#""options":[]"#, "options"),
        (#""category":"""#, "category must be 1 to 64"),
        (#""category":"a\u0007""#, "control"),
        (#""tags":["a","a"]"#, "must not repeat"),
        (#""tags":[""]"#, "tags must be 1 to 64"),
    ])
    func badOptionsAre400(_ field: String, _ detail: String) async throws {
        try await api.app().test(.router) { client in
            let response = try await post(client, #"{"source":"http://127.0.0.1:8080/a.iso",\#(field)}"#)
            try APITests.expectProblem(response, .badRequest, detail: detail)
            #expect(try await api.repo.list().isEmpty && api.downloader.calls.isEmpty, "nothing stored, nothing sent")
        }
    }

    @Test(arguments: [
        (#"{"sources":[]}"#, "at least one"),
        (#"{"source":"http://127.0.0.1/a","sources":["http://127.0.0.1/b"]}"#, "not both"),
        (#"{"sources":["http://127.0.0.1/a","http://127.0.0.1/a"]}"#, "must not repeat"),
        (#"{"sources":["http://127.0.0.1/a","\#(magnet)"]}"#, "magnet link stands alone"),
        (#"{"sources":["http://127.0.0.1/a","file:///etc/passwd"]}"#, "source must be"),
        (#"{"source":"\#(magnet)","options":{"headers":["X-A: 1"]}}"#, "http and https sources only"),
        (#"{"source":"\#(magnet)","options":{"checksum":"md5=\#(String(repeating: "a", count: 32))"}}"#, "torrent checks its pieces"),
        (#"{"source":"\#(magnet)","options":{"seedTime":-1}}"#, "seedTime"),
        (#"{"source":"\#(magnet)","options":{"selectFiles":[]}}"#, "selectFiles"),
    ])
    func badSourcesAre400(_ body: String, _ detail: String) async throws {
        try await api.app().test(.router) { client in
            try APITests.expectProblem(try await post(client, body), .badRequest, detail: detail)
        }
    }
}

/// `PATCH` of options, category and tags.
@Suite struct DownloadSettingsPatchTests {
    let api: APITests

    init() throws { api = try APITests() }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: method, headers: APITests.auth, body: ByteBuffer(string: body))
    }

    @Test func aLimitCategoryAndTagsChangeAndOnlyTheChangedOptionsAreSent() async throws {
        try await api.app().test(.router) { client in
            let created = try API.json(
                try await send(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/p.iso","category":"old","options":{"out":"p.iso"}}"#)
                    .body
            )
            let id = try #require(created["id"] as? String)
            let gid = GID(rawValue: try #require(created["gid"] as? String))
            let patched = try await send(
                client,
                .patch,
                "/v1/downloads/\(id)",
                #"{"options":{"maxDownloadLimit":4096},"category":"new","tags":["x"],"desiredStatus":"Paused"}"#
            )
            #expect(patched.status == .ok)
            let body = try API.json(patched.body)
            #expect(body["category"] as? String == "new" && body["tags"] as? [String] == ["x"] && body["desiredStatus"] as? String == "Paused")
            let options = try #require(body["options"] as? [String: Any])
            #expect(options["maxDownloadLimit"] as? Int == 4096 && options["out"] as? String == "p.iso", "the others are kept")
            var limit = DownloadOptions()
            limit.maxDownloadLimit = 4096
            #expect(api.downloader.calls.contains(.change(gid, limit)))
            let cleared = try API.json(try await send(client, .patch, "/v1/downloads/\(id)", #"{"category":""}"#).body)
            #expect(cleared["category"] is NSNull && cleared["tags"] as? [String] == ["x"])
        }
    }

    @Test func aFailingDownloaderChangesNothing() async throws {
        try await api.app().test(.router) { client in
            let created = try API.json(try await send(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/f.iso"}"#).body)
            let id = try #require(created["id"] as? String)
            api.downloader.fail(with: .downloaderUnavailable("down"))
            let response = try await send(client, .patch, "/v1/downloads/\(id)", #"{"options":{"maxDownloadLimit":1},"category":"c"}"#)
            #expect(response.status == .badGateway)
            let stored = try #require(try await api.repo.get(UUID(uuidString: id)!))
            #expect(stored.options.maxDownloadLimit == nil && stored.category == nil)
        }
    }

    @Test(arguments: [
        (#"{"options":{"out":"b.iso"}}"#, "'options.out' cannot be changed"),
        (#"{"options":{"headers":["X: 1"]}}"#, "cannot be changed"),
        (#"{"options":{"selectFiles":[1]}}"#, "torrents only"),
        (#"{"options":{"maxDownloadLimit":-5}}"#, "maxDownloadLimit"),
        (#"{"tags":["a","a"]}"#, "must not repeat"),
        (#"{"category":" x"}"#, "space"),
        (#"{"sources":["http://127.0.0.1/x"]}"#, "cannot be changed"),
    ])
    func badChangesAre400(_ body: String, _ detail: String) async throws {
        try await api.app().test(.router) { client in
            let created = try API.json(try await send(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/b.iso"}"#).body)
            let id = try #require(created["id"] as? String)
            try APITests.expectProblem(try await send(client, .patch, "/v1/downloads/\(id)", body), .badRequest, detail: detail)
        }
    }
}
