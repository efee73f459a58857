import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Torrus

/// The whole application as `buildApplication` wires it — store, noop downloader, reporter,
/// reconciler, change feed, HTTP — driven through the API only.
@Suite struct NoopLifecycleTests {
    static let token = "lifecycle-token"
    static let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
    let directory: TemporaryDirectory
    let logs = CapturedLogs()

    init() throws {
        directory = try TemporaryDirectory()
    }

    func configuration(storage: TorrusConfiguration.Storage = .memory, duration: Int = 300) throws -> TorrusConfiguration {
        try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": Self.token,
            "TORRUS_STORAGE": storage.rawValue,
            "TORRUS_DATA_DIR": directory.path,
            "TORRUS_NOOP_DURATION_MS": "\(duration)",
        ])
    }

    static func create(_ client: some TestClientProtocol, _ body: String) async throws -> String {
        let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: headers, body: ByteBuffer(string: body))
        #expect(response.status == .created)
        return try #require(try APITests.json(response.body)["id"] as? String)
    }

    static func fetch(_ client: some TestClientProtocol, _ id: String) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: headers)
        #expect(response.status == .ok)
        return try APITests.json(response.body)
    }

    static func patch(_ client: some TestClientProtocol, _ id: String, _ desired: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/downloads/\(id)",
            method: .patch,
            headers: headers,
            body: ByteBuffer(string: #"{"desiredStatus":"\#(desired)"}"#)
        )
    }

    static func waitForStatus(_ client: some TestClientProtocol, _ id: String, _ status: String) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        try await eventually(timeout: .seconds(15), "status \(status)") {
            last = try await fetch(client, id)
            return last["status"] as? String == status
        }
        return last
    }

    @Test func aDownloadRunsToCompleteWithNameFilesAndProgress() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await Self.create(client, #"{"source":"http://127.0.0.1:1/pub/debian.iso","desiredStatus":"Active"}"#)
            let done = try await Self.waitForStatus(client, id, "Complete")
            #expect(done["name"] as? String == "debian.iso")
            let progress = try #require(done["progress"] as? [String: Any])
            #expect(progress["completedLength"] as? Int == Int(NoopDownloader.payloadLength))
            #expect(progress["totalLength"] as? Int == Int(NoopDownloader.payloadLength))
            #expect(progress["downloadSpeed"] as? Int == 0)
            let files = try #require(done["files"] as? [[String: Any]])
            #expect(files.first?["path"] as? String == "\(directory.path)/downloads/debian.iso")
            #expect(files.first?["completed"] as? Int == Int(NoopDownloader.payloadLength))
        }
    }

    @Test func pauseResumeAndCancelThroughTheAPI() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(duration: 2000), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await Self.create(client, #"{"source":"http://127.0.0.1:1/a.bin","desiredStatus":"Active"}"#)
            _ = try await Self.waitForStatus(client, id, "Active")
            #expect(try await Self.patch(client, id, "Paused").status == .ok)
            let paused = try await Self.fetch(client, id)
            #expect(paused["status"] as? String == "Paused")

            #expect(try await Self.patch(client, id, "Resume").status == .ok)
            _ = try await Self.waitForStatus(client, id, "Complete")
            let conflict = try await Self.patch(client, id, "Cancelled")
            #expect(conflict.status == .conflict)

            let other = try await Self.create(client, #"{"source":"http://127.0.0.1:1/b.bin"}"#)
            #expect(try await Self.patch(client, other, "Cancelled").status == .ok)
            _ = try await Self.waitForStatus(client, other, "Cancelled")
        }
    }

    @Test func anUnresolvableHostFailsWithTheDownloadersErrorAndCanBeRetried() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await Self.create(client, #"{"source":"http://mirror.invalid/a.iso","desiredStatus":"Active"}"#)
            let failed = try await Self.waitForStatus(client, id, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("resolution failed") == true)
            let gid = failed["gid"] as? String

            let retry = try await Self.patch(client, id, "Active")
            #expect(retry.status == .ok)
            let retried = try APITests.json(retry.body)
            #expect(retried["gid"] as? String != gid)
            #expect(retried["error"] == nil)
            _ = try await Self.waitForStatus(client, id, "Failed")
        }
    }

    @Test func sqliteKeepsDownloadsAcrossARestartOfTheApplication() async throws {
        defer { directory.remove() }
        let first = try buildApplication(try configuration(storage: .sqlite), logger: logs.logger())
        let identifier = try await first.test(.router) { client in
            let id = try await Self.create(client, #"{"source":"http://127.0.0.1:1/keep.iso","desiredStatus":"Active"}"#)
            _ = try await Self.waitForStatus(client, id, "Complete")
            return id
        }
        let second = try buildApplication(try configuration(storage: .sqlite), logger: logs.logger())
        try await second.test(.router) { client in
            let download = try await Self.fetch(client, identifier)
            #expect(download["status"] as? String == "Complete")
            #expect(download["name"] as? String == "keep.iso")
            // The fingerprint survived too: the same create is still idempotent.
            let again = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: Self.headers,
                body: ByteBuffer(string: #"{"source":"http://127.0.0.1:1/keep.iso"}"#)
            )
            #expect(again.status == .ok)
        }
    }

    @Test func metricsCountDownloadsByStatus() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await Self.create(client, #"{"source":"http://127.0.0.1:1/m.iso","desiredStatus":"Active"}"#)
            _ = try await Self.waitForStatus(client, id, "Complete")
            try await eventually("metrics") {
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                return metrics.contains(#"torrus_downloads{status="Complete"} 1"#)
                    && metrics.contains(#"torrus_download_transitions_total{status="Complete"} 1"#)
            }
        }
    }
}
