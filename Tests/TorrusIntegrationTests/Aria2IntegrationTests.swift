import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// Torrus against a real aria2c and a local file server: every behaviour of the aria2 adapter,
/// seen through the API and checked against aria2's own `tellStatus`.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct Aria2IntegrationTests {
    static func body(_ source: String, _ extra: String = "") -> String {
        #"{"source":"\#(source)","desiredStatus":"Active"\#(extra)}"#
    }

    @Test func aDownloadCompletesWithTheRightBytesAndAria2ForgetsIt() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.fileURL(name: "one.bin", size: 1 << 20)))
            let done = try await API.waitForStatus(client, id, "Complete")
            #expect(done["name"] as? String == "one.bin")
            let progress = try #require(done["progress"] as? [String: Any])
            #expect(progress["completedLength"] as? Int == 1 << 20)
            #expect(progress["totalLength"] as? Int == 1 << 20)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.downloads + "/one.bin"))
            #expect(Array(bytes) == TestPeers.expectedPayload(name: "one.bin", size: 1 << 20))
            // Torrus owns history: aria2's result is removed once Torrus recorded Complete.
            let gid = try #require(done["gid"] as? String)
            try await eventually("aria2 to forget the result") { try await harness.aria2Status(gid) == nil }
        }
    }

    @Test func pauseAndResumeAreWhatAria2Does() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let source = harness.peers.fileURL(name: "slow.bin", size: 4 << 20, rate: 256 << 10)
            let id = try await API.create(client, Self.body(source, #","targetPath":"\#(harness.downloads)/sub""#))
            let active = try await API.waitForStatus(client, id, "Active")
            let gid = try #require(active["gid"] as? String)

            #expect(try await API.patch(client, id, "Paused").status == .ok)
            try await eventually("aria2 to pause") { try await harness.aria2Status(gid)?.status == .paused }
            // Eventually, not at once: a `tellStatus` answered just before the pause (the start's)
            // may still be applied after it; aria2's pause notification then brings Paused back.
            _ = try await API.waitForStatus(client, id, "Paused")

            #expect(try await API.patch(client, id, "Active").status == .ok)
            try await eventually("aria2 to resume") { [.active, .waiting].contains(try await harness.aria2Status(gid)?.status) }
            _ = try await API.waitForStatus(client, id, "Active")
        }
    }

    @Test func cancelStopsTheTransfer() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.fileURL(name: "c.bin", size: 8 << 20, rate: 128 << 10)))
            let gid = try #require(try await API.waitForStatus(client, id, "Active")["gid"] as? String)
            let cancelled = try await API.patch(client, id, "Cancelled")
            #expect(cancelled.status == .ok)
            _ = try await API.waitForStatus(client, id, "Cancelled")
            try await eventually("aria2 to stop it") {
                let status = try await harness.aria2Status(gid)?.status
                return status == nil || status == .removed
            }
        }
    }

    @Test func deleteWithFilesRemovesPayloadAndControlFileAndNothingElse() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let bystander = harness.downloads + "/bystander.txt"
        _ = FileManager.default.createFile(atPath: bystander, contents: Data("keep me".utf8))
        try await harness.app().test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.fileURL(name: "d.bin", size: 8 << 20, rate: 256 << 10)))
            let active = try await API.waitForStatus(client, id, "Active")
            let payload = harness.downloads + "/d.bin"
            try await eventually("the partial file and its control file") {
                FileManager.default.fileExists(atPath: payload) && FileManager.default.fileExists(atPath: payload + ".aria2")
            }
            #expect(try await API.delete(client, id, deleteFiles: true).status == .noContent)
            #expect(!FileManager.default.fileExists(atPath: payload))
            #expect(!FileManager.default.fileExists(atPath: payload + ".aria2"))
            #expect(FileManager.default.fileExists(atPath: bystander))
            #expect(FileManager.default.fileExists(atPath: harness.downloads))
            #expect(try await harness.aria2Status(try #require(active["gid"] as? String)) == nil)
            let gone = try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: API.headers)
            #expect(gone.status == .notFound)
        }
    }

    @Test func aMissingSourceFailsWithAria2sMessage() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.missingURL(name: "nope.iso")))
            let failed = try await API.waitForStatus(client, id, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect(error["code"] as? Int == 3)
            #expect((error["message"] as? String)?.contains("404") == true || (error["message"] as? String)?.contains("not found") == true)
        }
    }

    @Test func aTorrentAndAMagnetSwapToTheRealGIDAndComplete() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let seed = harness.root.path + "/seed"
        try FileManager.default.createDirectory(atPath: seed, withIntermediateDirectories: true)
        try TestPeers.makeFile(path: seed + "/payload.bin", size: 2 << 20, name: "payload.bin")
        let torrent = harness.staticFiles + "/payload.torrent"
        let infoHash = try TestPeers.makeTorrent(files: [seed + "/payload.bin"], name: nil, tracker: harness.peers.announceURL, out: torrent)
        try harness.startSeeder(torrent: torrent, directory: seed)

        try await harness.app().test(.router) { client in
            let magnet = "magnet:?xt=urn:btih:\(infoHash)&tr=\(harness.peers.announceURL)"
            // One after the other: aria2 refuses a second transfer of an info-hash it is busy with.
            for (source, directory) in [(harness.peers.staticURL(path: "payload.torrent"), "t"), (magnet, "m")] {
                // The GID of the 201 itself: a fetch afterwards may already see the swapped one.
                let response = try await client.execute(
                    uri: "/v1/downloads",
                    method: .post,
                    headers: API.headers,
                    body: ByteBuffer(string: Self.body(source, #","targetPath":"\#(harness.downloads)/\#(directory)""#))
                )
                #expect(response.status == .created)
                let created = try API.json(response.body)
                let id = try #require(created["id"] as? String)
                let done = try await API.waitForStatus(client, id, "Complete", timeout: .seconds(60))
                #expect(done["gid"] as? String != created["gid"] as? String, "the metadata GID was swapped for the real one")
                #expect(done["name"] as? String == "payload.bin")
                let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(harness.downloads)/\(directory)/payload.bin"))
                #expect(Array(bytes) == TestPeers.expectedPayload(name: "payload.bin", size: 2 << 20))
                let gid = try #require(done["gid"] as? String)
                try await eventually(timeout: .seconds(20), "aria2 to finish seeding and forget it") { try await harness.aria2Status(gid) == nil }
            }
        }
    }

    @Test func aria2KilledMidDownloadAndRestartedFinishesWithoutADuplicate() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.fileURL(name: "k.bin", size: 4 << 20, rate: 512 << 10)))
            _ = try await API.waitForStatus(client, id, "Active")
            try await eventually("some progress") {
                (try await API.fetch(client, id)["progress"] as? [String: Any])?["completedLength"] as? Int ?? 0 > 0
            }
            harness.killAria2()
            try harness.restartAria2()
            let done = try await API.waitForStatus(client, id, "Complete", timeout: .seconds(60))
            #expect(done["progress"].flatMap { ($0 as? [String: Any])?["completedLength"] as? Int } == 4 << 20)
            let files = try FileManager.default.contentsOfDirectory(atPath: harness.downloads)
            #expect(files.sorted() == ["k.bin"], "no k.1.bin, no leftover control file")
            #expect(try await API.list(client).count == 1)
        }
    }

    @Test func torrusRestartedMidDownloadReattachesAndEventsMissedMeanwhileAreRecovered() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let first = try harness.app()
        let (id, gid) = try await first.test(.router) { client in
            let id = try await API.create(client, Self.body(harness.peers.fileURL(name: "r.bin", size: 2 << 20, rate: 1 << 20)))
            let active = try await API.waitForStatus(client, id, "Active")
            return (id, try #require(active["gid"] as? String))
        }
        // Torrus is down; the download finishes in aria2 meanwhile, and nobody hears the notification.
        try await eventually("aria2 to finish while Torrus is down") { try await harness.aria2Status(gid)?.status == .complete }
        let second = try harness.app()
        try await second.test(.router) { client in
            let done = try await API.waitForStatus(client, id, "Complete")
            #expect(done["gid"] as? String == gid)
            #expect(try await API.list(client).count == 1)
        }
    }

    @Test func fiveHundredTinyDownloadsCreatedBackToBackAllComplete() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            var ids: [String] = []
            for index in 0..<500 {
                ids.append(try await API.create(client, Self.body(harness.peers.fileURL(name: "tiny-\(index).bin", size: 1024))))
            }
            try await eventually(timeout: .seconds(90), "500 downloads to complete") {
                try await API.list(client).allSatisfy { $0["status"] as? String == "Complete" }
            }
            #expect(try await API.list(client).count == 500)
            #expect(try FileManager.default.contentsOfDirectory(atPath: harness.downloads).count == 500)
        }
    }

    @Test func readyzReportsAria2AndPush() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            try await eventually("push to connect") {
                let body = try API.json(try await client.execute(uri: "/readyz", method: .get).body)
                return (body["aria2"] as? [String: Any])?["pushConnected"] as? Bool == true
            }
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            harness.killAria2()
            try await eventually("readyz to turn 503") { try await client.execute(uri: "/readyz", method: .get).status == .serviceUnavailable }
        }
    }

    @Test func withoutPushPollingAloneFollowsDownloadsToTheirEnd() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app(push: false).test(.router) { client in
            let done = try await API.create(client, Self.body(harness.peers.fileURL(name: "p.bin", size: 1 << 20, rate: 1 << 20)))
            let missing = try await API.create(client, Self.body(harness.peers.missingURL(name: "gone.bin")))
            _ = try await API.waitForStatus(client, done, "Active")
            _ = try await API.waitForStatus(client, done, "Complete")
            _ = try await API.waitForStatus(client, missing, "Failed")
            let ready = try API.json(try await client.execute(uri: "/readyz", method: .get).body)
            #expect((ready["aria2"] as? [String: Any])?["pushConnected"] as? Bool == false)
        }
    }
}
