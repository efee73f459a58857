import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// The holes of issue 6 against a real aria2c: nothing with a control character reaches aria2's
/// session file, a directory swapped for a symbolic link after create is refused at every later
/// hand-over and deletes nothing outside, and a server without ranges cannot make a download
/// unrecoverable.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct Aria2SafetyTests {
    private static func isSymbolicLink(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeSymbolicLink
    }

    private static func post(_ client: some TestClientProtocol, _ fields: [String: String]) async throws -> TestResponse {
        let body = try JSONSerialization.data(withJSONObject: fields)
        return try await client.execute(uri: "/v1/downloads", method: .post, headers: API.headers, body: ByteBuffer(data: body))
    }

    /// aria2 writes option values into its session unescaped: a newline in `dir` becomes
    /// `dir=<anywhere>` and `allow-overwrite=true` the next time aria2c loads the session.
    @Test func aHostileTargetPathNeverReachesAria2sSessionNotEvenFromAnOldRow() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let outside = harness.root.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let hostile = harness.downloads + "/x\n dir=\(outside)\n allow-overwrite=true"
        let source = harness.peers.fileURL(name: "victim.bin", size: 4096)

        // A row stored before control characters were refused, as an upgraded torrusd finds it.
        let legacy = Download(
            gid: .random(),
            source: source,
            targetPath: hostile,
            fingerprint: "stored-before-the-fix",
            status: .paused,
            desiredStatus: .paused,
            createdAt: .nowMilliseconds()
        )
        do {
            let store = try SQLiteDownloadRepo(path: harness.data + "/torrus.sqlite", encoding: .v1JSON)
            _ = try await store.insert(legacy)
            try store.close()
        }

        try await harness.app().test(.router) { client in
            let refused = try await Self.post(client, ["source": source, "targetPath": hostile, "desiredStatus": "Paused"])
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("Field 'targetPath' contains a control character (U+000A)"))

            // The startup resync finds the old row lost and would re-add it: it fails instead.
            let failed = try await API.waitForStatus(client, legacy.id.lowercasedString, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect(error["code"] as? Int == 28)
            #expect((error["message"] as? String)?.contains("control character (U+000A)") == true)
            #expect(try await harness.aria2Status(legacy.gid!.rawValue) == nil)

            // A legitimate paused download, so the session aria2 reloads is not empty.
            let fine = try await Self.post(client, ["source": harness.peers.fileURL(name: "fine.bin", size: 4096), "desiredStatus": "Paused"])
            #expect(fine.status == .created)
            let fineGID = try #require(try API.json(fine.body)["gid"] as? String)
            try await eventually("aria2 to hold the paused download") { try await harness.aria2Status(fineGID)?.status == .paused }
        }

        let _: String = try await harness.aria2Call("aria2.saveSession")
        let session = try String(contentsOfFile: harness.data + "/aria2.session", encoding: .utf8)
        #expect(!session.contains(outside), "\(session)")
        #expect(!session.contains("allow-overwrite"), "\(session)")

        // aria2c reloads its session, as after a torrusd restart or a supervisor respawn, and runs
        // everything in it.
        harness.killAria2()
        try harness.restartAria2()
        try await eventually("aria2 to answer again") { (try? await harness.aria2Call("aria2.getVersion", as: [String: JSONValue].self)) != nil }
        let _: String = try await harness.aria2Call("aria2.unpauseAll")
        try await eventually("aria2 to finish what it reloaded") {
            let active: [[String: JSONValue]] = try await harness.aria2Call("aria2.tellActive", [["gid"]])
            let waiting: [[String: JSONValue]] = try await harness.aria2Call("aria2.tellWaiting", [0, 100, ["gid"]])
            return active.isEmpty && waiting.isEmpty
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        #expect(FileManager.default.fileExists(atPath: harness.downloads + "/fine.bin"))
    }

    @Test func aTargetPathSwappedForASymlinkIsRefusedAtResumeAndDeletesNothingOutside() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let outside = harness.root.path + "/outside"
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        // What a careless delete through the link would destroy: files named like the payload.
        for victim in ["swap.bin", "swap.bin.aria2"] {
            _ = FileManager.default.createFile(atPath: outside + "/" + victim, contents: Data("precious".utf8))
        }
        let target = harness.downloads + "/swap"

        try await harness.app().test(.router) { client in
            // A link planted before create is refused outright.
            try FileManager.default.createSymbolicLink(atPath: harness.downloads + "/planted", withDestinationPath: outside)
            let planted = try await Self.post(
                client,
                ["source": harness.peers.fileURL(name: "p.bin", size: 4096), "targetPath": harness.downloads + "/planted"]
            )
            #expect(planted.status == .badRequest)
            #expect(String(buffer: planted.body).contains("symbolic link"))

            let created = try await Self.post(
                client,
                ["source": harness.peers.fileURL(name: "swap.bin", size: 1 << 20), "targetPath": target, "desiredStatus": "Paused"]
            )
            #expect(created.status == .created)
            let id = try #require(try API.json(created.body)["id"] as? String)
            let gid = try #require(try API.json(created.body)["gid"] as? String)
            // Made at create time, as a real directory: nothing can be planted there before aria2 writes.
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) && isDirectory.boolValue)
            #expect(!Self.isSymbolicLink(target))
            try await eventually("aria2 to hold it paused") { try await harness.aria2Status(gid)?.status == .paused }

            // Swapped for a link out of the roots after create.
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: outside)

            let resumed = try await API.patch(client, id, "Active")
            #expect(resumed.status == .conflict)
            #expect(String(buffer: resumed.body).contains("symbolic link ('swap')"))
            let failed = try await API.waitForStatus(client, id, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect(error["code"] as? Int == 18)
            // aria2 let go of it: nothing will ever unpause it into the link.
            try await eventually("aria2 to drop it") {
                let status = try await harness.aria2Status(gid)?.status
                return status == nil || status == .removed
            }

            // A retry is refused the same way.
            #expect(try await API.patch(client, id, "Active").status == .conflict)

            #expect(try await API.delete(client, id, deleteFiles: true).status == .noContent)
        }
        for victim in ["swap.bin", "swap.bin.aria2"] {
            #expect(try String(contentsOfFile: outside + "/" + victim, encoding: .utf8) == "precious")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside).sorted() == ["swap.bin", "swap.bin.aria2"])
    }

    /// Against a server that ignores HTTP ranges, aria2 cannot resume a paused download (code 8)
    /// and, before the fix, every retry failed the same way on the partial file left behind.
    @Test func aServerWithoutRangesFailsResumeInWordsAndARetryStartsOver() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let size = 1 << 20
        try await harness.app().test(.router) { client in
            let source = harness.peers.fileURL(name: "norange.bin", size: size, rate: 192 << 10, noRange: true)
            let id = try await API.create(client, #"{"source":"\#(source)","desiredStatus":"Active"}"#)
            #expect(try await API.fetch(client, id)["name"] as? String == "norange.bin")
            try await eventually("some bytes") {
                let progress = try await API.fetch(client, id)["progress"] as? [String: Any]
                return (progress?["completedLength"] as? Int ?? 0) > 0
            }
            let gid = try #require(try await API.fetch(client, id)["gid"] as? String)
            #expect(try await API.patch(client, id, "Paused").status == .ok)
            try await eventually("aria2 to pause") { try await harness.aria2Status(gid)?.status == .paused }

            #expect(try await API.patch(client, id, "Active").status == .ok)
            let failed = try await API.waitForStatus(client, id, "Failed")
            let error = try #require(failed["error"] as? [String: Any])
            #expect(error["code"] as? Int == 8)
            let message = try #require(error["message"] as? String)
            #expect(message.hasPrefix("The server does not support resuming"), "\(message)")

            let retried = try await API.patch(client, id, "Active")
            #expect(retried.status == .ok)
            _ = try await API.waitForStatus(client, id, "Complete", timeout: .seconds(30))
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.downloads + "/norange.bin"))
        #expect(Array(bytes) == TestPeers.expectedPayload(name: "norange.bin", size: size))
        #expect(!FileManager.default.fileExists(atPath: harness.downloads + "/norange.bin.aria2"))
    }
}
