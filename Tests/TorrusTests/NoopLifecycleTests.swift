import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Torrus

/// The whole application as `buildApplication` wires it — store, noop downloader, reporter,
/// reconciler, change feed, HTTP — driven through the API only.
@Suite struct NoopLifecycleTests {
    let directory: TemporaryDirectory
    let logs = CapturedLogs()

    init() throws {
        directory = try TemporaryDirectory()
    }

    func configuration(storage: TorrusConfiguration.Storage = .memory, duration: Int = 300) throws -> TorrusConfiguration {
        try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": API.token,
            "TORRUS_STORAGE": storage.rawValue,
            "TORRUS_DATA_DIR": directory.path,
            "TORRUS_NOOP_DURATION_MS": "\(duration)",
            "TORRUS_CLIENT": "noop",
        ])
    }

    @Test func aDownloadRunsToCompleteWithNameFilesAndProgress() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await API.create(client, #"{"source":"http://127.0.0.1:1/pub/debian.iso","desiredStatus":"Active"}"#)
            let done = try await API.waitForStatus(client, id, "Complete")
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
            let id = try await API.create(client, #"{"source":"http://127.0.0.1:1/a.bin","desiredStatus":"Active"}"#)
            _ = try await API.waitForStatus(client, id, "Active")
            #expect(try await API.patch(client, id, "Paused").status == .ok)
            let paused = try await API.fetch(client, id)
            #expect(paused["status"] as? String == "Paused")

            #expect(try await API.patch(client, id, "Resume").status == .ok)
            _ = try await API.waitForStatus(client, id, "Complete")
            let conflict = try await API.patch(client, id, "Cancelled")
            #expect(conflict.status == .conflict)

            let other = try await API.create(client, #"{"source":"http://127.0.0.1:1/b.bin"}"#)
            #expect(try await API.patch(client, other, "Cancelled").status == .ok)
            _ = try await API.waitForStatus(client, other, "Cancelled")
        }
    }

    @Test func anUnresolvableHostFailsWithTheDownloadersErrorAndCanBeRetried() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await API.create(client, #"{"source":"http://mirror.invalid/a.iso","desiredStatus":"Active"}"#)
            let failed = try await API.waitForStatus(client, id, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect((error["message"] as? String)?.contains("resolution failed") == true)
            let gid = failed["gid"] as? String

            let retry = try await API.patch(client, id, "Active")
            #expect(retry.status == .ok)
            let retried = try API.json(retry.body)
            #expect(retried["gid"] as? String != gid)
            #expect(retried["error"] == nil)
            _ = try await API.waitForStatus(client, id, "Failed")
        }
    }

    @Test func sqliteKeepsDownloadsAcrossARestartOfTheApplication() async throws {
        defer { directory.remove() }
        let first = try buildApplication(try configuration(storage: .sqlite), logger: logs.logger())
        let identifier = try await first.test(.router) { client in
            let id = try await API.create(client, #"{"source":"http://127.0.0.1:1/keep.iso","desiredStatus":"Active"}"#)
            _ = try await API.waitForStatus(client, id, "Complete")
            return id
        }
        let second = try buildApplication(try configuration(storage: .sqlite), logger: logs.logger())
        try await second.test(.router) { client in
            let download = try await API.fetch(client, identifier)
            #expect(download["status"] as? String == "Complete")
            #expect(download["name"] as? String == "keep.iso")
            // The fingerprint survived too: the same create is still idempotent.
            let again = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: API.headers,
                body: ByteBuffer(string: #"{"source":"http://127.0.0.1:1/keep.iso"}"#)
            )
            #expect(again.status == .ok)
        }
    }

    @Test func metricsCountDownloadsByStatus() async throws {
        defer { directory.remove() }
        let app = try buildApplication(try configuration(), logger: logs.logger())
        try await app.test(.router) { client in
            let id = try await API.create(client, #"{"source":"http://127.0.0.1:1/m.iso","desiredStatus":"Active"}"#)
            _ = try await API.waitForStatus(client, id, "Complete")
            try await eventually("metrics") {
                let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
                return metrics.contains(#"torrus_downloads{status="Complete"} 1"#)
                    && metrics.contains(#"torrus_download_transitions_total{status="Complete"} 1"#)
            }
        }
    }
}
