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

/// `POST /v1/downloads/pause` and `/resume`.
@Suite struct BulkActionTests {
    let api: APITests

    init() throws { api = try APITests() }

    func send(_ client: some TestClientProtocol, _ path: String, _ body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: APITests.auth, body: body.map { ByteBuffer(string: $0) })
    }

    func create(_ client: some TestClientProtocol, _ body: String) async throws -> String {
        try #require(try API.json(try await send(client, "/v1/downloads", body).body)["id"] as? String)
    }

    @Test func pauseAndResumeFollowTheTransitionTableForEachDownload() async throws {
        try await api.app().test(.router) { client in
            let tv = try await create(client, #"{"source":"http://127.0.0.1/tv","category":"tv"}"#)
            let queued = try await create(client, #"{"source":"http://127.0.0.1/q"}"#)
            let paused = try await create(client, #"{"source":"http://127.0.0.1/p","desiredStatus":"Paused"}"#)
            let done = try await create(client, #"{"source":"http://127.0.0.1/d"}"#)
            try api.downloader.report(.completed, gid: try #require(try await api.repo.get(UUID(uuidString: done)!)?.gid))
            try await eventually("Complete") { try await api.repo.get(UUID(uuidString: done)!)?.status == .complete }

            let byCategory = try API.json(try await send(client, "/v1/downloads/pause", #"{"category":"tv"}"#).body)
            #expect(byCategory["changed"] as? [String] == [tv])
            let all = try API.json(try await send(client, "/v1/downloads/pause").body)
            #expect(all["changed"] as? [String] == [queued])
            #expect(Set(all["unchanged"] as? [String] ?? []) == [tv, paused])
            #expect((all["refused"] as? [[String: Any]])?.first?["id"] as? String == done)
            for id in [tv, queued] {
                let stored = try #require(try await api.repo.get(UUID(uuidString: id)!))
                #expect(stored.status == .paused && stored.desiredStatus == .paused)
            }
            let resumed = try API.json(try await send(client, "/v1/downloads/resume", #"{"ids":["\#(tv)","\#(paused)"]}"#).body)
            #expect(Set(resumed["changed"] as? [String] ?? []) == [tv, paused])
            #expect(try await api.repo.get(UUID(uuidString: tv)!)?.status == .queued)
            #expect(try await api.repo.get(UUID(uuidString: queued)!)?.status == .paused, "not selected")
        }
    }

    @Test(arguments: [
        (#"{"ids":["nope"]}"#, "not a download id"), (#"{"ids":[],"category":"a"}"#, "not both"), (#"{"other":1}"#, "Unknown field"),
    ])
    func badSelectionsAre400(_ body: String, _ detail: String) async throws {
        try await api.app().test(.router) { client in
            try APITests.expectProblem(try await send(client, "/v1/downloads/pause", body), .badRequest, detail: detail)
        }
    }
}

/// `GET/PATCH /v1/settings`.
@Suite struct SettingsAPITests {
    let api: APITests

    init() throws { api = try APITests() }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: "/v1/settings", method: method, headers: APITests.auth, body: body.map { ByteBuffer(string: $0) })
    }

    @Test func limitsAreToldToTheDownloaderThenKept() async throws {
        try await api.app().test(.router) { client in
            let empty = try API.json(try await send(client, .get).body)
            #expect(empty["maxDownloadLimit"] is NSNull && empty["maxUploadLimit"] is NSNull && empty["maxConcurrentDownloads"] is NSNull)
            let patched = try API.json(try await send(client, .patch, #"{"maxDownloadLimit":1000,"maxConcurrentDownloads":3}"#).body)
            #expect(patched["maxDownloadLimit"] as? Int == 1000 && patched["maxConcurrentDownloads"] as? Int == 3)
            #expect(api.downloader.calls.last == .apply(GlobalSettings(maxDownloadLimit: 1000, maxConcurrentDownloads: 3)))
            let more = try API.json(try await send(client, .patch, #"{"maxUploadLimit":0}"#).body)
            #expect(more["maxDownloadLimit"] as? Int == 1000 && more["maxUploadLimit"] as? Int == 0, "merged")

            api.downloader.fail(with: .downloaderUnavailable("down"))
            #expect(try await send(client, .patch, #"{"maxDownloadLimit":5}"#).status == .badGateway)
            #expect(try await api.repo.globalSettings().maxDownloadLimit == 1000, "unchanged when aria2 did not take it")
        }
    }

    @Test(arguments: [
        (#"{}"#, "at least one"), (#"{"maxDownloadLimit":-1}"#, "maxDownloadLimit"), (#"{"maxConcurrentDownloads":0}"#, "1 to 1000"),
        (#"{"other":1}"#, "Unknown field"),
    ])
    func badSettingsAre400(_ body: String, _ detail: String) async throws {
        try await api.app().test(.router) { client in
            try APITests.expectProblem(try await send(client, .patch, body), .badRequest, detail: detail)
        }
    }

    @Test func sqliteKeepsThemAcrossReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        do {
            let store = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            try await store.saveGlobalSettings(GlobalSettings(maxDownloadLimit: 7, maxConcurrentDownloads: 2))
            try store.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? reopened.close() }
        #expect(try await reopened.globalSettings() == GlobalSettings(maxDownloadLimit: 7, maxConcurrentDownloads: 2))
    }
}
