import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

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
