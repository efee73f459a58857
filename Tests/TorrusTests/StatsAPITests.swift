import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `GET /v1/stats` and `GET /v1/categories`.
@Suite struct StatsAPITests {
    let api: APITests

    init() throws { api = try APITests() }

    func post(_ client: some TestClientProtocol, _ body: String) async throws {
        let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: APITests.auth, body: ByteBuffer(string: body))
        #expect(response.status == .created)
    }

    @Test func statsCountEveryStatusAndCarryTheDownloadersTotals() async throws {
        try await api.app().test(.router) { client in
            try await post(client, #"{"source":"http://127.0.0.1/a","desiredStatus":"Paused"}"#)
            try await post(client, #"{"source":"http://127.0.0.1/b"}"#)
            let body = try API.json(try await client.execute(uri: "/v1/stats", method: .get, headers: APITests.auth).body)
            let downloads = try #require(body["downloads"] as? [String: Int])
            #expect(downloads.count == DownloadStatus.allCases.count && downloads["Paused"] == 1 && downloads["Queued"] == 1)
            #expect(downloads["Complete"] == 0 && body["total"] as? Int == 2)
            let downloader = try #require(body["downloader"] as? [String: Any])
            #expect(downloader["downloadSpeed"] as? Int == 7 && downloader["numWaiting"] as? Int == 3)
            #expect(body["downloaderError"] is NSNull)

            api.downloader.fail(with: .downloaderUnavailable("aria2 is down"))
            let down = try await client.execute(uri: "/v1/stats", method: .get, headers: APITests.auth)
            #expect(down.status == .ok, "Torrus's own counts do not need the downloader")
            let downBody = try API.json(down.body)
            #expect(downBody["downloader"] is NSNull && downBody["downloaderError"] as? String == "aria2 is down")
            #expect(downBody["total"] as? Int == 2)
        }
    }

    @Test func categoriesAreCountedByName() async throws {
        try await api.app().test(.router) { client in
            try await post(client, #"{"source":"http://127.0.0.1/a","category":"tv"}"#)
            try await post(client, #"{"source":"http://127.0.0.1/b","category":"iso"}"#)
            try await post(client, #"{"source":"http://127.0.0.1/c","category":"tv"}"#)
            try await post(client, #"{"source":"http://127.0.0.1/d"}"#)
            let response = try await client.execute(uri: "/v1/categories", method: .get, headers: APITests.auth)
            let list = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]]
            #expect(list?.map { $0["name"] as? String } == ["iso", "tv"] && list?.map { $0["count"] as? Int } == [1, 2])
            #expect(list?.allSatisfy { $0["targetPath"] is NSNull } == true)
        }
    }

    @Test(arguments: StoreKind.allCases) func bothStoresCountCategories(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        for category in ["a", "b", "a", nil] {
            var download = makeDownload()
            download.category = category
            _ = try await repo.insert(download)
        }
        #expect(try await repo.countByCategory() == ["a": 2, "b": 1])
    }
}
