import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// The rich read model against a real aria2c: what aria2's `tellStatus` says (connections,
/// seeders, seeding, file indexes) is what the API shows, with the derived figures.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ReadModelIntegrationTests {
    static func files(_ client: some TestClientProtocol, _ id: String) async throws -> [[String: Any]] {
        let response = try await client.execute(uri: "/v1/downloads/\(id)/files", method: .get, headers: API.headers)
        #expect(response.status == .ok)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
    }

    /// `TORRUS_TEST_PRINT_JSON=1` prints what the test saw.
    static func show(_ label: String, _ object: Any) {
        guard ProcessInfo.processInfo.environment["TORRUS_TEST_PRINT_JSON"] != nil,
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        print("\(label): \(String(decoding: data, as: UTF8.self))")
    }

    @Test func aThrottledHTTPDownloadShowsConnectionsThenCompletesWithItsFigures() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let size = 1 << 20
            let source = harness.peers.fileURL(name: "rm.bin", size: size, rate: 256 << 10)
            let id = try await API.create(client, #"{"source":"\#(source)","desiredStatus":"Active"}"#)
            // While it runs: aria2's connection to the file server, and an ETA from its speed.
            var running: [String: Any] = [:]
            try await eventually("a connection and an ETA while it runs") {
                running = try await API.fetch(client, id)
                let progress = running["progress"] as? [String: Any] ?? [:]
                return running["status"] as? String == "Active" && progress["connections"] as? Int ?? 0 > 0
                    && progress["eta"] as? Int ?? 0 > 0
            }
            Self.show("running HTTP download", running)
            let progress = try #require(running["progress"] as? [String: Any])
            let percent = try #require(progress["percent"] as? Double)
            #expect(percent >= 0 && percent < 100)
            #expect(running["completedAt"] is NSNull)
            #expect(progress["numSeeders"] is NSNull && progress["ratio"] is NSNull)
            // Cross-checked with aria2's own figure at about the same moment.
            let gid = try #require(running["gid"] as? String)
            if let status = try await harness.aria2Status(gid), status.status == .active {
                #expect(Int(status.connections ?? "0") ?? 0 > 0)
            }

            let done = try await API.waitForStatus(client, id, "Complete")
            Self.show("completed HTTP download", done)
            let completedAt = try #require(done["completedAt"] as? String)
            let createdAt = try #require(done["createdAt"] as? String)
            let updatedAt = try #require(done["updatedAt"] as? String)
            #expect(completedAt >= createdAt && completedAt <= updatedAt, "RFC 3339 in UTC with milliseconds sorts as time")
            #expect(done["infoHash"] is NSNull)
            #expect(done["seeding"] as? Bool == false)
            let final = try #require(done["progress"] as? [String: Any])
            #expect(final["percent"] as? Double == 100)
            #expect(final["eta"] as? Int == 0)
            #expect(final["connections"] as? Int == 0)
            #expect(final["completedLength"] as? Int == size)
            #expect(final["numSeeders"] is NSNull && final["ratio"] is NSNull)
            let files = try #require(done["files"] as? [[String: Any]])
            #expect(files.count == 1)
            #expect(files.first?["index"] as? Int == 1)
            #expect(files.first?["selected"] as? Bool == true)
            #expect(files.first?["completed"] as? Int == size && files.first?["length"] as? Int == size)
            #expect(files.first?["path"] as? String == harness.downloads + "/rm.bin")
            #expect((try await Self.files(client, id) as NSArray).isEqual(to: files), "/files is the download's files")
        }
    }

    @Test func aSeedingTorrentSaysSoWhileAria2Does() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        // A two-file torrent `rm`, served by a seeder from `seed/rm/`.
        let seed = harness.root.path + "/seed"
        try TestPeers.makeFile(path: seed + "/rm/a.bin", size: 1 << 20, name: "a.bin")
        try TestPeers.makeFile(path: seed + "/rm/b.bin", size: 256 << 10, name: "b.bin")
        let torrent = harness.staticFiles + "/rm.torrent"
        let infoHash = try TestPeers.makeTorrent(
            files: [seed + "/rm/a.bin", seed + "/rm/b.bin"],
            name: "rm",
            tracker: harness.peers.announceURL,
            out: torrent
        )
        try harness.startSeeder(torrent: torrent, directory: seed)

        try await harness.app().test(.router) { client in
            // A magnet (seeding options are for magnets), seeding on for minutes — the harness's
            // aria2 stops at once by default — whatever the ratio.
            let magnet = "magnet:?xt=urn:btih:\(infoHash)&tr=\(harness.peers.announceURL)"
            let body = #"""
                {"source":"\#(magnet)","desiredStatus":"Active",
                 "targetPath":"\#(harness.downloads)/t","options":{"seedTime":5,"seedRatio":0}}
                """#
            let id = try await API.create(client, body)
            var seeding: [String: Any] = [:]
            var aria2: Aria2Status?
            try await eventually(timeout: .seconds(60), "Complete and seeding, as aria2 says") {
                seeding = try await API.fetch(client, id)
                guard seeding["status"] as? String == "Complete", seeding["seeding"] as? Bool == true,
                    let gid = seeding["gid"] as? String
                else { return false }
                aria2 = try await harness.aria2Status(gid)
                return aria2?.status == .active && aria2?.seeder == "true"
            }
            Self.show("seeding torrent", seeding)
            #expect(seeding["infoHash"] as? String == infoHash)
            #expect(seeding["completedAt"] is String)
            let progress = try #require(seeding["progress"] as? [String: Any])
            #expect(progress["numSeeders"] is Int, "a torrent has a seeder count")
            #expect(progress["percent"] as? Double == 100 && progress["eta"] as? Int == 0)
            #expect(progress["ratio"] is NSNumber, "a torrent that downloaded something has a ratio")
            #expect(progress["completedLength"] as? Int == (1 << 20) + (256 << 10))
            let files = try #require(seeding["files"] as? [[String: Any]])
            #expect(files.map { $0["index"] as? Int } == [1, 2])
            #expect(files.allSatisfy { $0["selected"] as? Bool == true })
            #expect(files.map { $0["path"] as? String } == ["\(harness.downloads)/t/rm/a.bin", "\(harness.downloads)/t/rm/b.bin"])
            #expect((try await Self.files(client, id) as NSArray).isEqual(to: files))
            #expect(aria2?.infoHash == infoHash)

            // aria2 stops seeding it: Torrus says so, and the download stays Complete.
            let gid = try #require(seeding["gid"] as? String)
            let _: String = try await harness.aria2Call("aria2.remove", [.string(gid)])
            var stopped: [String: Any] = [:]
            try await eventually("seeding to end") {
                stopped = try await API.fetch(client, id)
                return stopped["seeding"] as? Bool == false
            }
            #expect(stopped["status"] as? String == "Complete")
            #expect(stopped["completedAt"] as? String == seeding["completedAt"] as? String, "completed once")
            #expect((stopped["progress"] as? [String: Any])?["connections"] as? Int == 0)
        }
    }
}
