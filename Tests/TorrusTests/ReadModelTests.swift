import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Torrus

/// The rich read model (issue 9): `completedAt`, `infoHash`, `seeding`, each file's `index` and
/// `selected`, the progress figures aria2 reports (`connections`, `numSeeders`,
/// `uploadedLength`) and those derived when encoding (`eta`, `percent`, `ratio`), and
/// `GET /v1/downloads/{id}/files`.
@Suite struct ReadModelTests {
    static let id = UUID(uuidString: "0e7f3c1a-5b2d-4c8e-9f10-2a3b4c5d6e7f")!
    static let created = Date(millisecondsSince1970: 1_764_600_000_000)

    static func http() -> Download {
        Download(
            id: id,
            gid: GID(rawValue: "0123456789abcdef"),
            source: "http://127.0.0.1/a.iso",
            targetPath: "/data",
            fingerprint: "f",
            name: "a.iso",
            files: [DownloadFile(path: "/data/a.iso", length: 1000, completed: 250, index: 1)],
            status: .active,
            desiredStatus: .active,
            progress: DownloadProgress(completedLength: 250, totalLength: 1000, downloadSpeed: 300, uploadSpeed: 0, connections: 2),
            createdAt: created,
            updatedAt: created.addingTimeInterval(1)
        )
    }

    static func seedingTorrent() -> Download {
        Download(
            id: id,
            gid: GID(rawValue: "fedcba9876543210"),
            source: "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
            targetPath: "/data",
            fingerprint: "f",
            name: "t",
            files: [
                DownloadFile(path: "/data/t/a", length: 600, completed: 600, index: 1),
                DownloadFile(path: "/data/t/b", length: 400, completed: 12, index: 2, selected: false),
            ],
            status: .complete,
            desiredStatus: .active,
            progress: DownloadProgress(
                completedLength: 600,
                totalLength: 600,
                downloadSpeed: 0,
                uploadSpeed: 50,
                uploadedLength: 1234,
                connections: 1,
                numSeeders: 0,
                seeding: true
            ),
            infoHash: "0123456789abcdef0123456789abcdef01234567",
            createdAt: created,
            updatedAt: created.addingTimeInterval(2),
            completedAt: created.addingTimeInterval(1.5)
        )
    }

    // MARK: the JSON

    @Test func anHTTPDownloadHasEveryKeySortedWithNulls() {
        let expected = """
            {"category":null,"completedAt":null,"createdAt":"2025-12-01T14:40:00.000Z","desiredStatus":"Active",\
            "files":[{"completed":250,"index":1,"length":1000,"path":"/data/a.iso","selected":true}],\
            "gid":"0123456789abcdef","id":"0e7f3c1a-5b2d-4c8e-9f10-2a3b4c5d6e7f","infoHash":null,"mirrors":[],"name":"a.iso",\
            "options":{},"progress":{"completedLength":250,"connections":2,"downloadSpeed":300,"eta":3,"numSeeders":null,\
            "percent":25,"ratio":null,"totalLength":1000,"uploadSpeed":0,"uploadedLength":0},"seeding":false,\
            "source":"http://127.0.0.1/a.iso","status":"Active","tags":[],"targetPath":"/data",\
            "updatedAt":"2025-12-01T14:40:01.000Z","upload":null}
            """
        #expect(String(decoding: DownloadJSON.encode(Self.http()), as: UTF8.self) == expected)
    }

    @Test func aSeedingTorrentSaysSoWithItsRatioAndInfoHash() {
        let expected = """
            {"category":null,"completedAt":"2025-12-01T14:40:01.500Z","createdAt":"2025-12-01T14:40:00.000Z",\
            "desiredStatus":"Active","files":[{"completed":600,"index":1,"length":600,"path":"/data/t/a","selected":true},\
            {"completed":12,"index":2,"length":400,"path":"/data/t/b","selected":false}],"gid":"fedcba9876543210",\
            "id":"0e7f3c1a-5b2d-4c8e-9f10-2a3b4c5d6e7f","infoHash":"0123456789abcdef0123456789abcdef01234567","mirrors":[],\
            "name":"t","options":{},"progress":{"completedLength":600,"connections":1,"downloadSpeed":0,"eta":0,"numSeeders":0,\
            "percent":100,"ratio":2.057,"totalLength":600,"uploadSpeed":50,"uploadedLength":1234},"seeding":true,\
            "source":"magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567","status":"Complete","tags":[],\
            "targetPath":"/data","updatedAt":"2025-12-01T14:40:02.000Z","upload":null}
            """
        #expect(String(decoding: DownloadJSON.encode(Self.seedingTorrent()), as: UTF8.self) == expected)
    }

    /// The progress object of a download with these values, as text.
    static func progress(
        completed: Int64,
        total: Int64,
        speed: Int64 = 0,
        uploaded: Int64 = 0,
        status: DownloadStatus = .active,
        torrent: Bool = false
    ) -> String {
        var download = http()
        download.status = status
        download.infoHash = torrent ? "0123456789abcdef0123456789abcdef01234567" : nil
        download.progress = DownloadProgress(
            completedLength: completed,
            totalLength: total,
            downloadSpeed: speed,
            uploadSpeed: 0,
            uploadedLength: uploaded
        )
        var out: [UInt8] = []
        DownloadJSON.appendProgress(of: download, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func figures(eta: String, percent: String, ratio: String) -> (String, String, String) {
        (#""eta":\#(eta),"#, #""percent":\#(percent),"#, #""ratio":\#(ratio),"#)
    }

    @Test(arguments: [
        // Unknown length: nothing to tell, however fast.
        (progress(completed: 0, total: 0, speed: 100), figures(eta: "null", percent: "null", ratio: "null")),
        (progress(completed: 0, total: 0, status: .complete), figures(eta: "0", percent: "100", ratio: "null")),
        // No speed: no ETA.
        (progress(completed: 50, total: 100), figures(eta: "null", percent: "50", ratio: "null")),
        (progress(completed: 50, total: 100, status: .paused), figures(eta: "null", percent: "50", ratio: "null")),
        // Rounded up to whole seconds; one decimal of percent, rounded half away from zero.
        (progress(completed: 1, total: 3, speed: 1), figures(eta: "2", percent: "33.3", ratio: "null")),
        (progress(completed: 2, total: 3, speed: 1_000_000), figures(eta: "1", percent: "66.7", ratio: "null")),
        (progress(completed: 1000, total: 3000, speed: 1000), figures(eta: "2", percent: "33.3", ratio: "null")),
        (progress(completed: 1, total: 1000, speed: 7), figures(eta: "143", percent: "0.1", ratio: "null")),
        (progress(completed: 1, total: 16, speed: 7), figures(eta: "3", percent: "6.3", ratio: "null")),
        (progress(completed: 1, total: 20_000, speed: 7), figures(eta: "2857", percent: "0", ratio: "null")),
        (progress(completed: 120, total: 100, speed: 7), figures(eta: "0", percent: "100", ratio: "null")),  // more than the total: capped
        // Complete: done, whatever the last report said.
        (progress(completed: 999, total: 1000, speed: 5, status: .complete), figures(eta: "0", percent: "100", ratio: "null")),
        // A ratio for torrents only, once something was downloaded; three decimals.
        (progress(completed: 3, total: 3, uploaded: 1, status: .complete, torrent: true), figures(eta: "0", percent: "100", ratio: "0.333")),
        (progress(completed: 3, total: 6, uploaded: 2, torrent: true), figures(eta: "null", percent: "50", ratio: "0.667")),
        (progress(completed: 1000, total: 1000, uploaded: 3000, torrent: true), figures(eta: "null", percent: "100", ratio: "3")),
        (progress(completed: 1000, total: 1000, uploaded: 0, torrent: true), figures(eta: "null", percent: "100", ratio: "0")),
        (progress(completed: 0, total: 1000, uploaded: 10, torrent: true), figures(eta: "null", percent: "0", ratio: "null")),
        (progress(completed: 1000, total: 1000, uploaded: 3000), figures(eta: "null", percent: "100", ratio: "null")),
    ])
    func derivedFiguresAreWrittenAsJSONEncoderWritesThem(_ progress: String, _ figures: (String, String, String)) {
        #expect(progress.contains(figures.0), "\(progress)")
        #expect(progress.contains(figures.1), "\(progress)")
        #expect(progress.contains(figures.2), "\(progress)")
    }

    @Test func theProgressEventCarriesTheFiguresAndSeeding() throws {
        let old = Self.seedingTorrent()
        var new = old
        new.progress.seeding = false
        new.progress.uploadSpeed = 0
        let event = EventPayload.event(for: .updated(old: old, new: new), representation: nil, at: 1_764_600_000_000_000)
        #expect(event.type == .downloadProgress)
        let text = String(decoding: event.data, as: UTF8.self)
        #expect(text.hasSuffix(#","ratio":2.057,"totalLength":600,"uploadSpeed":0,"uploadedLength":1234},"seeding":false}"#), "\(text)")
    }

    // MARK: what aria2 says

    @Test func aria2sFiguresIndexesAndSelectionAreTranslated() {
        var status = Aria2Status(gid: "0123456789abcdef", status: .active)
        status.totalLength = "600"
        status.completedLength = "600"
        status.uploadSpeed = "50"
        status.uploadLength = "1234"
        status.connections = "3"
        status.numSeeders = "2"
        status.seeder = "true"
        status.infoHash = "0123456789abcdef0123456789abcdef01234567"
        status.files = [
            .init(index: "1", path: "[METADATA]x", length: "1", completedLength: "1", selected: "true"),
            .init(index: "2", path: "/d/t/a", length: "600", completedLength: "600", selected: "true"),
            .init(index: "3", path: "/d/t/b", length: "400", completedLength: "0", selected: "false"),
        ]
        #expect(
            status.progress
                == DownloadProgress(
                    completedLength: 600,
                    totalLength: 600,
                    downloadSpeed: 0,
                    uploadSpeed: 50,
                    uploadedLength: 1234,
                    connections: 3,
                    numSeeders: 2,
                    seeding: true
                )
        )
        #expect(
            status.payloadFiles == [
                DownloadFile(path: "/d/t/a", length: 600, completed: 600, index: 2),
                DownloadFile(path: "/d/t/b", length: 400, completed: 0, index: 3, selected: false),
            ]
        )
        // Seeding is aria2's `seeder` of an active torrent; a stopped one seeds no more and has
        // no seeders.
        status.status = .complete
        status.numSeeders = nil
        #expect(!status.progress.seeding && status.progress.numSeeders == 0)
        // An HTTP download has no seeders at all.
        var http = Aria2Status(gid: "0123456789abcdef", status: .active)
        http.connections = "1"
        #expect(http.progress.numSeeders == nil && http.progress.connections == 1 && !http.progress.seeding)
        http.files = [.init(path: "/d/a.iso", length: "1", completedLength: "0")]
        #expect(http.payloadFiles == [DownloadFile(path: "/d/a.iso", length: 1, completed: 0, index: 1)], "no index: by position")
    }

    @Test func theProgressPollAsksForTheNewFigures() {
        for key in ["uploadLength", "connections", "numSeeders", "seeder"] {
            #expect(Aria2Status.progressKeys.contains(key))
            #expect(Aria2Status.keys.contains(key))
        }
    }

    // MARK: the rules

    @Test func completionStampsCompletedAtOnceAndCompletesOnlySelectedFiles() throws {
        var download = Self.http()
        download.files.append(DownloadFile(path: "/data/b", length: 10, completed: 3, index: 2, selected: false))
        let before = Date.nowMilliseconds()
        EventRules.apply(.completed, to: &download)
        let completedAt = try #require(download.completedAt)
        #expect(completedAt >= before && completedAt <= .nowMilliseconds())
        #expect(completedAt == Date(millisecondsSince1970: completedAt.millisecondsSince1970), "whole milliseconds, as stored")
        #expect(download.files.map(\.completed) == [1000, 3])
        #expect(download.files.map(\.index) == [1, 2])
        EventRules.apply(.completed, to: &download)
        #expect(download.completedAt == completedAt, "the first time only")
        // Seeding goes on after completion: aria2's progress still applies.
        EventRules.apply(
            .progress(DownloadProgress(completedLength: 1000, totalLength: 1000, downloadSpeed: 0, uploadSpeed: 9, seeding: true)),
            to: &download
        )
        #expect(download.progress.seeding && download.status == .complete)
    }

    @Test func aTransferThatStopsHasNoConnectionsAndDoesNotSeed() {
        var download = Self.http()
        download.progress.seeding = true
        EventRules.apply(.paused, to: &download)
        #expect(download.progress.connections == 0)
        EventRules.apply(.cancelled, to: &download)
        #expect(download.progress.connections == 0 && !download.progress.seeding && download.progress.uploadSpeed == 0)
        EventRules.apply(
            .progress(DownloadProgress(completedLength: 1, totalLength: 2, downloadSpeed: 3, uploadSpeed: 4, connections: 5, seeding: true)),
            to: &download
        )
        #expect(download.progress.connections == 0 && !download.progress.seeding, "late progress of a cancelled transfer")
    }

    @Test func aRetryClearsCompletedAt() async throws {
        let repo: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let root = try TemporaryDirectory()
        let service = DownloadService(repo: repo, downloader: RecordingDownloader(), roots: try DownloadRoots([root.path]))
        let download = try await service.create(.init(source: "http://127.0.0.1:8080/a.iso", desiredStatus: .active)).download
        _ = try await repo.update(download.id) {
            $0.status = .failed
            $0.completedAt = .nowMilliseconds()
            $0.progress.connections = 4
        }
        let retried = try await service.setDesiredStatus(download.id, to: .active)
        #expect(retried.status == .queued)
        #expect(retried.completedAt == nil)
        #expect(retried.progress == .zero)
    }

    @Test func theReconcilerStampsCompletedAtInTheStore() async throws {
        let repo: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let reconciler = Reconciler(events: AsyncStream { $0.finish() }, repo: repo, logger: Logger(label: "test"))
        let download = makeDownload(status: .active)
        _ = try await repo.insert(download)
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .completed))
        let stored = try #require(try await repo.get(download.id))
        #expect(stored.status == .complete)
        #expect(stored.completedAt != nil)
        #expect(stored.completedAt == stored.updatedAt, "dated by the change that completed it")
        let representation = try #require(try await repo.representation(of: download.id))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(representation)) as? [String: Any])
        #expect(json["completedAt"] as? String == RFC3339.string(stored.completedAt!))
    }

    // MARK: the SQLite store

    @Test func theNewFieldsSurviveTheSQLiteStore() async throws {
        let directory = try TemporaryDirectory()
        let repo = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON)
        var download = Self.seedingTorrent()
        download.files.append(DownloadFile(path: "/data/t/c", length: 1, completed: 0, index: 7))
        _ = try await repo.insert(download)
        #expect(try await repo.get(download.id) == download)
        // A progress write (files unchanged) and a write of everything.
        _ = try await repo.update(download.id) {
            $0.progress.numSeeders = nil; $0.progress.seeding = false; $0.progress.connections = 0
        }
        var expected = download
        expected.progress.numSeeders = nil
        expected.progress.seeding = false
        expected.progress.connections = 0
        var stored = try #require(try await repo.get(download.id))
        expected.updatedAt = stored.updatedAt
        #expect(stored == expected)
        _ = try await repo.update(download.id) {
            $0.completedAt = nil; $0.files[1].selected = true
        }
        stored = try #require(try await repo.get(download.id))
        #expect(stored.completedAt == nil && stored.files[1].selected)
        // The usual file is stored as before: no index, no selection.
        let text = try await repo.pool.read { db in try String.fetchOne(db, sql: "SELECT files FROM download") }
        #expect(
            text
                == #"[{"path":"/data/t/a","length":600,"completed":600},{"path":"/data/t/b","length":400,"completed":12},{"path":"/data/t/c","length":1,"completed":0,"index":7}]"#
        )
        try repo.close()
    }

    @Test func filesStoredBeforeIndexAndSelectionDecodeByPosition() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/torrus.sqlite"
        var download = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(download)
            // As `JSONEncoder` wrote them before v8: slashes escaped, no index, no selection; and
            // the representation of then (version 2), which the next open encodes again.
            try await repo.pool.write { db in
                try db.execute(
                    sql: "UPDATE download SET files = ?",
                    arguments: [#"[{"path":"\/data\/a","length":2,"completed":1},{"completed":0,"length":3,"path":"\/data\/b"}]"#]
                )
                try db.execute(sql: "UPDATE setting SET value = 2 WHERE key = 'encodingVersion'")
            }
            let stored = try #require(try await repo.get(download.id))
            #expect(
                stored.files == [
                    DownloadFile(path: "/data/a", length: 2, completed: 1, index: 1),
                    DownloadFile(path: "/data/b", length: 3, completed: 0, index: 2),
                ]
            )
            download = stored
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        let json = try #require(try await reopened.representation(of: download.id))
        #expect(String(decoding: json, as: UTF8.self).contains(#""files":[{"completed":1,"index":1,"length":2,"path":"/data/a","selected":true},"#))
        try reopened.close()
    }

    @Test func theV8MigrationDatesCompleteDownloadsByTheirLastChange() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/torrus.sqlite"
        var complete = makeDownload(status: .complete, createdAt: Date(millisecondsSince1970: 1_764_600_000_000))
        complete.updatedAt = Date(millisecondsSince1970: 1_764_600_123_456)
        let queued = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(complete)
            _ = try await repo.insert(queued)
            // Back to the v7 schema: without the columns, v8 not applied.
            try await repo.pool.write { db in
                for column in ["uploadedLength", "connections", "numSeeders", "seeding", "completedAt"] {
                    try db.execute(sql: "ALTER TABLE download DROP COLUMN \(column)")
                }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v8: read model'")
                try db.execute(sql: "UPDATE setting SET value = 2 WHERE key = 'encodingVersion'")
            }
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        #expect(try await reopened.get(complete.id)?.completedAt == complete.updatedAt)
        #expect(try await reopened.get(queued.id)?.completedAt == nil)
        let json = try #require(try await reopened.representation(of: complete.id))
        #expect(String(decoding: json, as: UTF8.self).contains(#""completedAt":"2025-12-01T14:42:03.456Z""#))
        try reopened.close()
    }

    // MARK: GET /v1/downloads/{id}/files

    static let token = "test-token-readmodel"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    @Test func theFilesRouteServesTheStoredFiles() async throws {
        let root = try TemporaryDirectory()
        let repo: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
        let downloader = RecordingDownloader()
        let configuration = try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": Self.token, "TORRUS_DATA_DIR": root.path, "TORRUS_DOWNLOAD_ROOTS": root.path,
        ])
        let app = try buildApplication(configuration, logger: Logger(label: "test"), store: repo, downloader: downloader.reporting(to:))
        try await app.test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: Self.auth,
                body: ByteBuffer(string: #"{"source":"http://127.0.0.1/a.iso"}"#)
            )
            let id = try #require(try API.json(created.body)["id"] as? String)
            let uri = "/v1/downloads/\(id)/files"
            let empty = try await client.execute(uri: uri, method: .get, headers: Self.auth)
            #expect(empty.status == .ok)
            #expect(empty.headers[.contentType] == "application/json")
            #expect(String(buffer: empty.body) == "[]", "none known yet")

            let gid = try #require(try await repo.get(UUID(uuidString: id)!)?.gid)
            let files = [
                DownloadFile(path: root.path + "/t/a", length: 5, completed: 5, index: 1),
                DownloadFile(path: root.path + "/t/b", length: 7, completed: 0, index: 2, selected: false),
            ]
            try downloader.report(.metadata(name: "t", files: files, infoHash: nil), gid: gid)
            var body = ""
            try await eventually("the files reported") {
                body = String(buffer: try await client.execute(uri: uri, method: .get, headers: Self.auth).body)
                return body != "[]"
            }
            #expect(
                body == #"[{"completed":5,"index":1,"length":5,"path":"\#(root.path)/t/a","selected":true},"#
                    + #"{"completed":0,"index":2,"length":7,"path":"\#(root.path)/t/b","selected":false}]"#
            )
            // The download's own `files`, byte for byte.
            let whole = String(buffer: try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: Self.auth).body)
            #expect(whole.contains(#""files":\#(body),"gid""#))

            let head = try await client.execute(uri: uri, method: .head, headers: Self.auth)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == String(body.utf8.count))

            let options = try await client.execute(uri: uri, method: .options)
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "GET, HEAD, OPTIONS")
            let post = try await client.execute(uri: uri, method: .post, headers: Self.auth)
            try APITests.expectProblem(post, .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD, OPTIONS")

            try APITests.expectProblem(
                try await client.execute(uri: "/v1/downloads/\(UUID())/files", method: .get, headers: Self.auth),
                .notFound,
                detail: "No download"
            )
            try APITests.expectProblem(
                try await client.execute(uri: "/v1/downloads/not-a-uuid/files", method: .get, headers: Self.auth),
                .notFound,
                detail: "UUID"
            )
            let missingHead = try await client.execute(uri: "/v1/downloads/\(UUID())/files", method: .head, headers: Self.auth)
            #expect(missingHead.status == .notFound)
            #expect(missingHead.body.readableBytes == 0)
            let unauthorized = try await client.execute(uri: uri, method: .get)
            #expect(unauthorized.status == .unauthorized)
        }
    }
}
