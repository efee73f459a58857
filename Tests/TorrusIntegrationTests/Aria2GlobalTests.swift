import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// What acts on many downloads or on aria2 as a whole, against a real aria2c: `/v1/stats`,
/// bulk pause and resume (one `system.multicall`), and the global settings (kept across an aria2
/// restart).
@Suite(.serialized, .timeLimit(.minutes(2)))
struct Aria2GlobalTests {
    @Test func statsCarryAria2sTotals() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let source = harness.peers.fileURL(name: "stats.bin", size: 4 << 20, rate: 64 << 10)
            let id = try await API.create(client, #"{"source":"\#(source)","desiredStatus":"Active"}"#)
            _ = try await API.waitForStatus(client, id, "Active")
            var body: [String: Any] = [:]
            try await eventually("aria2 to report the transfer") {
                body = try API.json(try await client.execute(uri: "/v1/stats", method: .get, headers: API.headers).body)
                return ((body["downloader"] as? [String: Any])?["numActive"] as? Int) == 1
            }
            #expect((body["downloads"] as? [String: Int])?["Active"] == 1 && body["downloaderError"] is NSNull)
        }
    }

    @Test func bulkPauseAndResumeReachAria2() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            var gids: [String] = []
            for index in 0..<3 {
                let source = harness.peers.fileURL(name: "bulk-\(index).bin", size: 4 << 20, rate: 64 << 10)
                let id = try await API.create(client, #"{"source":"\#(source)","desiredStatus":"Active"}"#)
                gids.append(try #require(try await API.waitForStatus(client, id, "Active")["gid"] as? String))
            }
            let paused = try await client.execute(uri: "/v1/downloads/pause", method: .post, headers: API.headers)
            #expect((try API.json(paused.body)["changed"] as? [String])?.count == 3)
            for gid in gids {
                try await eventually("aria2 to pause \(gid)") { try await harness.aria2Status(gid)?.status == .paused }
            }
            // One multicall, not a call per download: no single aria2.pause was made.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(!metrics.contains(#"method="aria2.pause""#), "\(metrics.split(separator: "\n").filter { $0.contains("aria2.pause") })")
            #expect(metrics.contains(#"method="system.multicall""#))
            let resumed = try await client.execute(uri: "/v1/downloads/resume", method: .post, headers: API.headers)
            #expect((try API.json(resumed.body)["changed"] as? [String])?.count == 3)
            for gid in gids {
                try await eventually("aria2 to resume \(gid)") { [.active, .waiting].contains(try await harness.aria2Status(gid)?.status) }
            }
        }
    }

    @Test func globalSettingsReachAria2AndSurviveItsRestart() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let patched = try await client.execute(
                uri: "/v1/settings",
                method: .patch,
                headers: API.headers,
                body: ByteBuffer(string: #"{"maxDownloadLimit":123456,"maxConcurrentDownloads":3}"#)
            )
            #expect(patched.status == .ok)
            var global: [String: String] = try await harness.aria2Call("aria2.getGlobalOption")
            #expect(global["max-overall-download-limit"] == "123456" && global["max-concurrent-downloads"] == "3")

            // A new aria2c knows nothing of them; Torrus tells it again once connected.
            harness.killAria2()
            try harness.restartAria2()
            try await eventually(timeout: .seconds(20), "the settings applied to the new aria2c") {
                global = (try? await harness.aria2Call("aria2.getGlobalOption") as [String: String]) ?? [:]
                return global["max-overall-download-limit"] == "123456"
            }
            #expect(global["max-concurrent-downloads"] == "3")
        }
    }
}
