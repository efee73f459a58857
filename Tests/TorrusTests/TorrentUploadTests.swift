import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

@Suite struct TorrentMetainfoTests {
    @Test func theInfoHashNameAndFilesAreRead() throws {
        let single = try TorrentMetainfo(TorrentFixture.single)
        #expect(single.infoHash == TorrentFixture.singleHash && single.name == "a.bin")
        #expect(single.files.map(\.path) == [["a.bin"]] && single.files.map(\.length) == [5])
        let multi = try TorrentMetainfo(TorrentFixture.multi)
        #expect(multi.infoHash == TorrentFixture.multiHash && multi.name == "dir")
        #expect(multi.files.map(\.path) == [["dir", "x"], ["dir", "sub", "y"]] && multi.files.map(\.length) == [3, 4])
    }

    /// Each hostile or broken file is refused with a reason, never a crash or a hang.
    @Test(arguments: [
        ("", "not bencoded"),
        ("d8:announce3:abc", "not bencoded"),  // truncated
        ("d4:infod6:lengthi5e", "not bencoded"),  // truncated inside info
        ("i42e", "not a bencoded dictionary"),
        ("d8:announce3:abce", "no info dictionary"),
        ("d4:info3:abce", "no info dictionary"),
        ("d4:infod4:name1:a12:piece lengthi1e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "either length"),
        ("d4:infod6:lengthi5e4:name1:a12:piece lengthi1e6:pieces3:abcee", "info.pieces"),
        ("d4:infod6:lengthi5e4:name1:a12:piece lengthi0e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "piece length"),
        ("d4:infod9:file treede4:name1:a12:piece lengthi16384eee", "v2-only"),
        ("d4:infod6:lengthi99999999e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "does not match"),
        ("d4:info99999999999:xe", "not bencoded"),  // a string longer than the file
        ("d4:infod6:lengthi05e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "not bencoded"),  // leading zero
        ("d4:infod4:name1:a4:name1:be", "not bencoded"),  // repeated key
        ("d4:infod5:filesld6:lengthi1e4:pathl2:..eee4:name1:d12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "not a plain name"),
        ("d4:infod5:filesld6:lengthi1e4:pathl3:a/beee4:name1:d12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "not a plain name"),
        ("d4:infod5:filesle4:name1:d12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee", "1 to 100000 files"),
    ])
    func brokenTorrentsAreRefusedWithTheReason(text: String, reason: String) throws {
        let error = #expect(throws: TorrusError.self) { try TorrentMetainfo(Array(text.utf8)) }
        #expect(error?.code == .invalidInput)
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
    }

    @Test func namesWithControlOrInvisibleCharactersAreRefused() throws {
        for name in [Array("a\nb".utf8), Array("a\u{7}".utf8), Array("\u{202E}gpj.exe".utf8), [0xff, 0xfe], Array(" a".utf8), Array("..".utf8)] {
            #expect(throws: TorrusError.self, "\(name)") { try TorrentMetainfo(TorrentFixture.named(name)) }
        }
        #expect(try TorrentMetainfo(TorrentFixture.named(Array("ok name.bin".utf8))).name == "ok name.bin")
    }

    /// Nesting 100,000 deep and a million tiny values: refused by the limits, quickly.
    @Test func bencodeBombsStopAtTheLimits() throws {
        let deep = Array(repeating: UInt8(ascii: "l"), count: 100_000) + Array(repeating: UInt8(ascii: "e"), count: 100_000)
        let error = #expect(throws: Bencode.Malformed.self) { try Bencode.decode(deep) }
        #expect(error?.reason.contains("nested deeper") == true)
        let wide = [UInt8(ascii: "l")] + Array(repeating: Array("i1e".utf8), count: 1_100_000).flatMap { $0 } + [UInt8(ascii: "e")]
        let tooMany = #expect(throws: Bencode.Malformed.self) { try Bencode.decode(wide) }
        #expect(tooMany?.reason.contains("more than") == true)
    }
}

/// `POST /v1/downloads` with a `.torrent`: as base64 in JSON, or as a multipart form.
@Suite struct TorrentUploadAPITests {
    let api: APITests

    init() throws { api = try APITests() }

    static func form(_ parts: [(name: String, contentType: String, body: [UInt8])]) -> [UInt8] { MultipartForm.body(parts) }

    static func formHeaders() -> HTTPFields {
        [.authorization: "Bearer \(APITests.token)", .contentType: MultipartForm.contentType]
    }

    func post(_ client: some TestClientProtocol, json: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/downloads", method: .post, headers: APITests.auth, body: ByteBuffer(string: json))
    }

    @Test func aBase64TorrentMakesADownloadNamedByItsInfoHash() async throws {
        try await api.app().test(.router) { client in
            let base64 = Data(TorrentFixture.multi).base64EncodedString()
            let response = try await post(client, json: #"{"torrent":"\#(base64)","options":{"selectFiles":[2]},"tags":["t"]}"#)
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let body = try API.json(response.body)
            #expect(body["source"] as? String == "urn:btih:\(TorrentFixture.multiHash)" && body["name"] as? String == "dir")
            let upload = try #require(body["upload"] as? [String: Any])
            #expect(upload["kind"] as? String == "torrent" && upload["size"] as? Int == TorrentFixture.multi.count)
            #expect((upload["sha256"] as? String)?.count == 64)
            let id = try #require(UUID(uuidString: body["id"] as? String ?? ""))
            #expect(try await api.repo.upload(of: id) == TorrentFixture.multi, "the file is kept for re-adds")
            #expect(try await api.repo.get(id)?.infoHash == TorrentFixture.multiHash)
            #expect(api.downloader.calls.count == 1)

            // The same torrent again is the same download; into another directory it is a conflict.
            let again = try await post(client, json: #"{"torrent":"\#(base64)"}"#)
            let againID = try API.json(again.body)["id"] as? String
            #expect(again.status == .ok && againID == body["id"] as? String)
            let other = try #require(body["targetPath"] as? String) + "/elsewhere"
            let elsewhere = try await post(client, json: #"{"torrent":"\#(base64)","targetPath":"\#(other)"}"#)
            #expect(elsewhere.status == .conflict, "\(String(buffer: elsewhere.body))")
            #expect(api.downloader.calls.count == 1)
        }
    }

    /// The kept file goes with its download, in both stores.
    @Test(arguments: StoreKind.allCases) func theFileIsKeptWithItsDownloadAndDeletedWithIt(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var download = makeDownload(source: "urn:btih:\(TorrentFixture.singleHash)")
        download.upload = DownloadUpload(kind: .torrent, size: TorrentFixture.single.count, sha256: String(repeating: "0", count: 64))
        _ = try await repo.insert(download, upload: TorrentFixture.single)
        let plain = makeDownload()
        _ = try await repo.insert(plain)
        #expect(try await repo.upload(of: download.id) == TorrentFixture.single)
        #expect(try await repo.get(download.id)?.upload == download.upload)
        #expect(try await repo.upload(of: plain.id) == nil)
        _ = try await repo.delete(download.id)
        #expect(try await repo.upload(of: download.id) == nil)
    }

    @Test func aMultipartFormCarriesTheTorrentAndTheFields() async throws {
        try await api.app().test(.router) { client in
            let body = Self.form([
                ("torrent", "application/x-bittorrent", TorrentFixture.single),
                ("request", "application/json", Array(#"{"category":"iso","desiredStatus":"Paused"}"#.utf8)),
            ])
            let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: Self.formHeaders(), body: ByteBuffer(bytes: body))
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let created = try API.json(response.body)
            #expect(created["infoHash"] as? String == TorrentFixture.singleHash)
            #expect(created["name"] as? String == "a.bin" && created["category"] as? String == "iso")
            #expect(created["desiredStatus"] as? String == "Paused")
            // Only the torrent: the fields are optional.
            let bare = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: Self.formHeaders(),
                body: ByteBuffer(bytes: Self.form([("torrent", "application/octet-stream", TorrentFixture.multi)]))
            )
            #expect(bare.status == .created, "\(String(buffer: bare.body))")
        }
    }

    /// Every bad upload gets its own clear 4xx, and nothing is stored or sent to aria2.
    @Test func badUploadsAreRefusedBeforeAnythingIsStored() async throws {
        try await api.app().test(.router) { client in
            let good = Self.form([("torrent", "application/x-bittorrent", TorrentFixture.single)])
            let cases: [(String, HTTPFields, [UInt8], HTTPResponse.Status, String)] = [
                ("truncated form", Self.formHeaders(), Array(good.dropLast(40)), .badRequest, "truncated"),
                ("no torrent part", Self.formHeaders(), Self.form([("request", "application/json", Array("{}".utf8))]), .badRequest, "no 'torrent'"),
                (
                    "two torrents", Self.formHeaders(),
                    Self.form([("torrent", "x", TorrentFixture.single), ("torrent", "x", TorrentFixture.multi)]), .badRequest, "more than one"
                ),
                (
                    "unknown part", Self.formHeaders(), Self.form([("torrent", "x", TorrentFixture.single), ("x", "x", [1])]), .badRequest,
                    "Unknown form part"
                ),
                ("metalink part", Self.formHeaders(), Self.form([("metalink", "x", Array("<metalink/>".utf8))]), .badRequest, "Metalinks"),
                ("no boundary", [.authorization: "Bearer \(APITests.token)", .contentType: "multipart/form-data"], good, .badRequest, "boundary"),
                (
                    "source in the request part", Self.formHeaders(),
                    Self.form([("torrent", "x", TorrentFixture.single), ("request", "application/json", Array(#"{"source":"http://x/"}"#.utf8))]),
                    .badRequest, "request.source"
                ),
                ("not a torrent", Self.formHeaders(), Self.form([("torrent", "x", Array("hello".utf8))]), .badRequest, "not bencoded"),
                (
                    "a file beyond the torrent's", APITests.auth,
                    Array(#"{"torrent":"\#(Data(TorrentFixture.single).base64EncodedString())","options":{"selectFiles":[2]}}"#.utf8), .badRequest,
                    "has 1 files"
                ),
                ("not base64", APITests.auth, Array(#"{"torrent":"%%%"}"#.utf8), .badRequest, "base64"),
                ("torrent and source", APITests.auth, Array(#"{"torrent":"AAAA","source":"http://127.0.0.1/x"}"#.utf8), .badRequest, "only one"),
                ("metalink in JSON", APITests.auth, Array(#"{"metalink":"AAAA"}"#.utf8), .badRequest, "Metalinks"),
                (
                    "checksum on a torrent", APITests.auth,
                    Array(
                        #"{"torrent":"\#(Data(TorrentFixture.single).base64EncodedString())","options":{"checksum":"md5=\#(String(repeating: "0", count: 32))"}}"#
                            .utf8
                    ), .badRequest, "checksum"
                ),
            ]
            for (label, headers, body, status, detail) in cases {
                let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: headers, body: ByteBuffer(bytes: body))
                let text = String(buffer: response.body)
                #expect(response.status == status, "\(label): \(text)")
                #expect(text.contains(detail), "\(label): \(text)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(label)")
            }
            let stored = try await api.repo.list()
            #expect(stored.isEmpty && api.downloader.calls.isEmpty)
        }
    }

    /// Over the stated limits: 413, announced or not.
    @Test func oversizedUploadsAre413() async throws {
        try await api.app().test(.router) { client in
            // A base64 torrent over 10 MiB once decoded, in a body under the JSON limit for creates.
            let big = String(repeating: "A", count: (10 << 20) / 3 * 4 + 8)
            let json = try await post(client, json: #"{"torrent":"\#(big)"}"#)
            #expect(json.status == .contentTooLarge, "\(String(buffer: json.body).prefix(200))")
            // A form over its own limit.
            let huge = Self.form([("torrent", "x", Array(repeating: UInt8(ascii: "x"), count: UploadForm.maxSize))])
            let form = try await client.execute(uri: "/v1/downloads", method: .post, headers: Self.formHeaders(), body: ByteBuffer(bytes: huge))
            #expect(form.status == .contentTooLarge, "\(String(buffer: form.body))")
            // A torrent part over 10 MiB in a form under the form's limit.
            let part = Self.form([("torrent", "x", Array(repeating: UInt8(ascii: "x"), count: (10 << 20) + 1))])
            let large = try await client.execute(uri: "/v1/downloads", method: .post, headers: Self.formHeaders(), body: ByteBuffer(bytes: part))
            #expect(large.status == .contentTooLarge, "\(String(buffer: large.body))")
            #expect(try await api.repo.list().isEmpty)
        }
    }
}
