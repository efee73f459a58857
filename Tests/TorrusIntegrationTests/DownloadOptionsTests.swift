import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// Each option of a create reaches a real aria2c (read back with `aria2.getOption` and
/// `aria2.getUris`), and a download with all of them completes where and as asked.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct DownloadOptionsTests {
    @Test func httpOptionsAndMirrorsReachAria2AndTheFileArrivesUnderItsName() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let size = 384 << 10
            let source = harness.peers.fileURL(name: "opt.bin", size: size, rate: 96 << 10)
            let mirror = source + "&mirror=1"
            let digest = SHA256.hash(data: TestPeers.expectedPayload(name: "opt.bin", size: size)).map { String(format: "%02x", $0) }.joined()
            let body = #"""
                {"sources":["\#(source)","\#(mirror)"],"desiredStatus":"Active","category":"tests","tags":["a"],
                 "options":{"out":"renamed.bin","headers":["X-Torrus-Test: yes"],"maxDownloadLimit":262144,"connections":2,
                 "checksum":"sha-256=\#(digest)"}}
                """#
            let id = try await API.create(client, body)
            let active = try await API.waitForStatus(client, id, "Active")
            let gid = try #require(active["gid"] as? String)
            let options: [String: String] = try await harness.aria2Call("aria2.getOption", [.string(gid)])
            #expect(options["out"] == "renamed.bin")
            #expect(options["header"]?.contains("X-Torrus-Test: yes") == true, "\(options["header"] ?? "none")")
            #expect(options["max-download-limit"] == "262144")
            #expect(options["split"] == "2" && options["max-connection-per-server"] == "2")
            #expect(options["checksum"] == "sha-256=\(digest)")
            struct URI: Decodable { let uri: String }
            let uris: [URI] = try await harness.aria2Call("aria2.getUris", [.string(gid)])
            #expect(Set(uris.map(\.uri)) == [source, mirror])

            let done = try await API.waitForStatus(client, id, "Complete")
            #expect(done["name"] as? String == "renamed.bin" && done["category"] as? String == "tests")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: harness.downloads + "/renamed.bin"))
            #expect(Array(bytes) == TestPeers.expectedPayload(name: "opt.bin", size: size))
        }
    }

    @Test func aChangedLimitReachesTheRunningDownload() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let source = harness.peers.fileURL(name: "limit.bin", size: 4 << 20, rate: 64 << 10)
            let id = try await API.create(client, #"{"source":"\#(source)","desiredStatus":"Active","options":{"maxDownloadLimit":100000}}"#)
            let gid = try #require(try await API.waitForStatus(client, id, "Active")["gid"] as? String)
            let patched = try await client.execute(
                uri: "/v1/downloads/\(id)",
                method: .patch,
                headers: API.headers,
                body: ByteBuffer(string: #"{"options":{"maxDownloadLimit":50000},"tags":["slow"]}"#)
            )
            #expect(patched.status == .ok)
            let options: [String: String] = try await harness.aria2Call("aria2.getOption", [.string(gid)])
            #expect(options["max-download-limit"] == "50000")
            #expect(try API.json(patched.body)["tags"] as? [String] == ["slow"])
        }
    }

    @Test func aWrongChecksumFailsTheDownload() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let source = harness.peers.fileURL(name: "bad.bin", size: 64 << 10)
            let body = #"{"source":"\#(source)","options":{"checksum":"sha-256=\#(String(repeating: "0", count: 64))"}}"#
            let id = try await API.create(client, body)
            let failed = try await API.waitForStatus(client, id, "Failed")
            #expect((failed["error"] as? [String: Any])?["code"] as? Int == 32, "aria2's checksum error: \(failed)")
        }
    }

    @Test func torrentOptionsReachAria2() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.router) { client in
            let magnet = "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"
            let body = #"{"source":"\#(magnet)","desiredStatus":"Paused","options":{"selectFiles":[1,3],"seedRatio":1.5,"seedTime":30}}"#
            let id = try await API.create(client, body)
            let gid = try #require(try await API.fetch(client, id)["gid"] as? String)
            var options: [String: String] = [:]
            try await eventually("aria2 to have it") {
                options = (try? await harness.aria2Call("aria2.getOption", [.string(gid)]) as [String: String]) ?? [:]
                return !options.isEmpty
            }
            #expect(options["select-file"] == "1,3" && options["seed-ratio"] == "1.5" && options["seed-time"] == "30")
        }
    }
}
