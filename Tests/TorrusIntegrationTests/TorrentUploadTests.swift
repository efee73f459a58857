import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// Uploaded `.torrent` files against a real aria2c, a local tracker and a seeder.
@Suite struct TorrentUploadTests {
    static var formHeaders: HTTPFields {
        var headers = API.headers
        headers[.contentType] = MultipartForm.contentType
        return headers
    }

    /// Three files on piece boundaries; files 1 and 3 selected. Only they arrive, aria2 was told
    /// `select-file=1,3`, and after aria2 lost the download (killed while it was paused; the
    /// uploaded file is in no session of aria2's) Torrus adds it again from its own copy.
    @Test func onlyTheSelectedFilesOfAnUploadedTorrentArriveEvenAfterAria2LostIt() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        let seed = harness.root.path + "/seed"
        let names = ["a.bin", "b.bin", "c.bin"]
        try FileManager.default.createDirectory(atPath: seed + "/pack", withIntermediateDirectories: true)
        for name in names { try TestPeers.makeFile(path: "\(seed)/pack/\(name)", size: 512 << 10, name: name) }
        let torrentPath = harness.staticFiles + "/pack.torrent"
        let infoHash = try TestPeers.makeTorrent(
            files: names.map { "\(seed)/pack/\($0)" },
            name: "pack",
            tracker: harness.peers.announceURL,
            out: torrentPath
        )
        try harness.startSeeder(torrent: torrentPath, directory: seed)
        let torrent = try Array(Data(contentsOf: URL(fileURLWithPath: torrentPath)))
        let target = harness.downloads + "/u"

        try await harness.app().test(.router) { client in
            let request = #"{"targetPath":"\#(target)","desiredStatus":"Paused","options":{"selectFiles":[1,3],"seedTime":0}}"#
            let response = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: Self.formHeaders,
                body: ByteBuffer(
                    bytes: MultipartForm.body([
                        ("torrent", "application/x-bittorrent", torrent), ("request", "application/json", Array(request.utf8)),
                    ])
                )
            )
            #expect(response.status == .created, "\(String(buffer: response.body))")
            let created = try API.json(response.body)
            let id = try #require(created["id"] as? String)
            let gid = try #require(created["gid"] as? String)
            #expect(created["source"] as? String == "urn:btih:\(infoHash)" && created["name"] as? String == "pack")
            try await eventually("aria2 to hold it paused") { try await harness.aria2Status(gid)?.status == .paused }
            let options: [String: String] = try await harness.aria2Call("aria2.getOption", [.string(gid)])
            #expect(options["select-file"] == "1,3" && options["seed-time"] == "0")

            harness.killAria2()
            try harness.restartAria2()
            try await eventually(timeout: .seconds(20), "Torrus to add it again from its copy") {
                harness.logs.all.contains { $0.contains("Re-added a download aria2 had lost") && $0.contains(gid) }
            }
            #expect(try await harness.aria2Status(gid)?.status == .paused)
            let patched = try await client.execute(
                uri: "/v1/downloads/\(id)",
                method: .patch,
                headers: API.headers,
                body: ByteBuffer(string: #"{"desiredStatus":"Active"}"#)
            )
            #expect(patched.status == .ok, "\(String(buffer: patched.body))")
            let done = try await API.waitForStatus(client, id, "Complete", timeout: .seconds(60))
            #expect(done["gid"] as? String == gid, "an uploaded torrent keeps Torrus's GID: no metadata swap")
            for name in ["a.bin", "c.bin"] {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(target)/pack/\(name)"))
                #expect(Array(bytes) == TestPeers.expectedPayload(name: name, size: 512 << 10), "\(name)")
            }
            let skipped = try? Data(contentsOf: URL(fileURLWithPath: "\(target)/pack/b.bin"))
            #expect(skipped.map { Array($0) != TestPeers.expectedPayload(name: "b.bin", size: 512 << 10) } ?? true, "file 2 was not selected")
            let written = try FileManager.default.contentsOfDirectory(atPath: target)
            #expect(!written.contains { $0.hasSuffix(".torrent") }, "aria2 kept no copy of the upload in the download directory: \(written)")
        }
    }

    /// A user-run aria2 whose `--rpc-max-request-size` is smaller than the upload hangs up without
    /// a word; the client learns why instead of "connection closed".
    @Test func anAria2WithASmallRequestLimitGivesAClearError() async throws {
        let harness = try Aria2Harness(aria2Arguments: ["--rpc-max-request-size=64K"])
        defer { harness.shutdown() }
        // A valid torrent made big by a comment outside its info dictionary.
        let comment = String(repeating: "c", count: 100_000)
        let torrent = TorrentFixture.torrent(info: TorrentFixture.singleInfo, comment: comment)
        try await harness.app().test(.router) { client in
            let body = #"{"torrent":"\#(Data(torrent).base64EncodedString())","desiredStatus":"Paused"}"#
            let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: API.headers, body: ByteBuffer(string: body))
            let text = String(buffer: response.body)
            #expect(response.status == .badGateway, "\(text)")
            #expect(text.contains("rpc-max-request-size"), "\(text)")
            // The push link is untouched: a small create still goes through.
            let small = TorrentFixture.multi
            _ = try await API.create(
                client,
                #"{"torrent":"\#(Data(small).base64EncodedString())","desiredStatus":"Paused","targetPath":"\#(harness.downloads)/s"}"#
            )
        }
    }
}
