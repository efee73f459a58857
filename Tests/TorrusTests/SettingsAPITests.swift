import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

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
