import Foundation
import Synchronization
import Testing

@testable import Torrus

/// One contract, both stores: every test runs against the in-memory and the SQLite repo.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory, sqlite
    var testDescription: String { rawValue }

    /// A fresh store; `cleanup` removes its files.
    func make() throws -> (repo: any DownloadStore, cleanup: @Sendable () -> Void) {
        switch self {
        case .memory:
            return (InMemoryDownloadRepo(encoding: .v1JSON), {})
        case .sqlite:
            let directory = try TemporaryDirectory()
            let repo = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON)
            return (
                repo,
                {
                    try? repo.close(); directory.remove()
                }
            )
        }
    }
}

@Suite struct RepoContractTests {
    @Test(arguments: StoreKind.allCases) func insertThenGetReturnsTheSameValue(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var download = makeDownload()
        download.name = "ubuntu.iso"
        download.files = [DownloadFile(path: "/data/downloads/ubuntu.iso", length: 42, completed: 7, index: 1)]
        download.progress = DownloadProgress(completedLength: 7, totalLength: 42, downloadSpeed: 3, uploadSpeed: 1)
        download.error = DownloadFailure(code: 3, message: "Resource not found")
        download.infoHash = "0123456789abcdef0123456789abcdef01234567"

        #expect(try await repo.insert(download) == .inserted(download))
        #expect(try await repo.get(download.id) == download)
        #expect(try await repo.get(UUID()) == nil)
    }

    @Test(arguments: StoreKind.allCases) func listIsOrderedByCreatedAtThenID(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let base = Date(millisecondsSince1970: 1_700_000_000_000)
        let later = makeDownload(createdAt: base.addingTimeInterval(1))
        let sameTime = (0..<5).map { _ in makeDownload(createdAt: base) }
        for download in [later] + sameTime { _ = try await repo.insert(download) }

        let expected = sameTime.sorted { $0.id.uuidString < $1.id.uuidString }.map(\.id) + [later.id]
        #expect(try await repo.list().map(\.id) == expected)
    }

    @Test(arguments: StoreKind.allCases) func insertWithAKnownFingerprintReturnsTheExistingDownload(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let first = makeDownload(source: "http://127.0.0.1/a")
        var second = makeDownload(source: "http://127.0.0.1/a")
        second.gid = .random()
        _ = try await repo.insert(first)
        #expect(try await repo.insert(second) == .existing(first))
        #expect(try await repo.list().count == 1)
        #expect(try await repo.find(fingerprint: first.fingerprint) == first)
    }

    @Test(arguments: StoreKind.allCases) func concurrentIdenticalInsertsStoreExactlyOne(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let inserted = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    if case .inserted = try await repo.insert(makeDownload(source: "http://127.0.0.1/same")) { return true }
                    return false
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(inserted == 1)
        #expect(try await repo.list().count == 1)
    }

    @Test(arguments: StoreKind.allCases) func updateAppliesTheClosureAndReportsOldAndNew(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload(createdAt: Date(millisecondsSince1970: 1_700_000_000_000))
        _ = try await repo.insert(download)

        let update = try #require(try await repo.update(download.id) { $0.status = .active })
        #expect(update.old == download)
        #expect(update.new.status == .active)
        #expect(update.new.updatedAt > download.updatedAt)
        #expect(try await repo.get(download.id) == update.new)
    }

    @Test(arguments: StoreKind.allCases) func updateWithoutChangeWritesNothing(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload(createdAt: Date(millisecondsSince1970: 1_700_000_000_000))
        _ = try await repo.insert(download)
        let update = try #require(try await repo.update(download.id) { $0.status = $0.status })
        #expect(!update.changed)
        #expect(try await repo.get(download.id)?.updatedAt == download.updatedAt)
    }

    @Test(arguments: StoreKind.allCases) func updateCannotChangeIdentity(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        let update = try #require(
            try await repo.update(download.id) {
                $0.id = UUID()
                $0.fingerprint = "other"
                $0.createdAt = .distantPast
            }
        )
        #expect(update.new == download)
    }

    @Test(arguments: StoreKind.allCases) func aThrowingUpdateWritesNothing(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        await #expect(throws: TorrusError.self) {
            try await repo.update(download.id) {
                $0.status = .failed
                throw TorrusError.conflict("no")
            }
        }
        #expect(try await repo.get(download.id) == download)
    }

    @Test(arguments: StoreKind.allCases) func updateOfAMissingDownloadReturnsNil(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        #expect(try await repo.update(UUID()) { $0.status = .active } == nil)
    }

    @Test(arguments: StoreKind.allCases) func concurrentUpdatesAreAtomic(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<100 {
                group.addTask { _ = try await repo.update(download.id) { $0.progress.completedLength += 1 } }
            }
            try await group.waitForAll()
        }
        #expect(try await repo.get(download.id)?.progress.completedLength == 100)
    }

    @Test(arguments: StoreKind.allCases) func findsByGIDAndFollowsGIDChanges(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        let other = makeDownload()
        _ = try await repo.insert(download)
        _ = try await repo.insert(other)
        let oldGID = try #require(download.gid)
        #expect(try await repo.find(gid: oldGID)?.id == download.id)

        let newGID = GID.random()
        _ = try await repo.update(download.id) { $0.gid = newGID }
        #expect(try await repo.find(gid: oldGID) == nil)
        #expect(try await repo.find(gid: newGID)?.id == download.id)
        let found = try await repo.find(gids: [newGID, other.gid!, .random()]).map(\.id)
        #expect(Set(found) == [download.id, other.id])
    }

    @Test(arguments: StoreKind.allCases) func aGIDBelongsToOneDownload(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        let other = makeDownload()
        _ = try await repo.insert(download)
        _ = try await repo.insert(other)
        await #expect(throws: RepoError.duplicateGID(download.gid!)) {
            try await repo.update(other.id) { $0.gid = download.gid }
        }
        var clash = makeDownload()
        clash.gid = download.gid
        await #expect(throws: RepoError.duplicateGID(download.gid!)) { try await repo.insert(clash) }
    }

    @Test(arguments: StoreKind.allCases) func updateByGIDChangesAllInOneCallAndSkipsMissing(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let downloads = (0..<3).map { _ in makeDownload() }
        for download in downloads { _ = try await repo.insert(download) }
        let unchanged = downloads[2].id
        let mutate: @Sendable (inout Download) -> Void = { download in
            if download.id != unchanged { download.progress.completedLength = 9 }
        }
        let updates = try await repo.update(byGID: (downloads.map(\.gid!) + [.random()]).map { GIDEdit($0, mutate) })
        #expect(Set(updates.map(\.new.id)) == [downloads[0].id, downloads[1].id])
        for download in downloads {
            #expect(try await repo.get(download.id)?.progress.completedLength == (download.id == unchanged ? 0 : 9))
        }
    }

    @Test(arguments: StoreKind.allCases) func updateByGIDLooksEachGIDUpAfterTheEditsBeforeIt(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let a = makeDownload()
        let b = makeDownload()
        let taken = makeDownload()
        for download in [a, b, taken] { _ = try await repo.insert(download) }
        let real = GID.random()
        let updates = try await repo.update(byGID: [
            GIDEdit(a.gid!) { $0.gid = real },
            GIDEdit(real) { $0.name = "found under its new GID" },
            GIDEdit(a.gid!) { $0.name = "must not be found under its old GID" },
            GIDEdit(.random()) { $0.name = "nobody's" },
            GIDEdit(b.gid!) { $0.gid = taken.gid },  // would collide: skipped
            GIDEdit(b.gid!) { $0.progress.completedLength = 7 },
        ])
        #expect(updates.map(\.new.id) == [a.id, b.id], "one update per changed download, in order")
        #expect(updates[0].old == a)
        let stored = try #require(try await repo.get(a.id))
        #expect(stored.gid == real)
        #expect(stored.name == "found under its new GID")
        #expect(try await repo.find(gid: real)?.id == a.id)
        #expect(try await repo.find(gid: a.gid!) == nil)
        #expect(try await repo.get(b.id)?.gid == b.gid)
        #expect(try await repo.get(b.id)?.progress.completedLength == 7)
        #expect(try await repo.get(taken.id) == taken)
    }

    @Test(arguments: StoreKind.allCases) func updateByGIDLetsOneDownloadTakeTheGIDAnotherLeft(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let a = makeDownload()
        let b = makeDownload()
        for download in [a, b] { _ = try await repo.insert(download) }
        let fresh = GID.random()
        // Both rows change GIDs, b taking a's old one: the unique column never sees two.
        let updates = try await repo.update(byGID: [GIDEdit(a.gid!) { $0.gid = fresh }, GIDEdit(b.gid!) { $0.gid = a.gid }])
        #expect(updates.count == 2)
        #expect(try await repo.get(a.id)?.gid == fresh)
        #expect(try await repo.get(b.id)?.gid == a.gid)
        #expect(try await repo.find(gid: a.gid!)?.id == b.id)
    }

    /// Each `update(byGID:)` sees every write before it, whichever call made it (the SQLite
    /// store answers these lookups from `WriterMemo`: it must never be stale).
    @Test(arguments: StoreKind.allCases) func updateByGIDSeesEveryEarlierWrite(_ kind: StoreKind) async throws {
        struct Refused: Error {}
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let a = makeDownload()
        let b = makeDownload()
        for download in [a, b] { _ = try await repo.insert(download) }
        let progress: @Sendable (GID, Int64) async throws -> Download? = { gid, value in
            let updates = try await repo.update(byGID: [GIDEdit(gid) { $0.progress.completedLength = value }])
            return updates.first?.new
        }
        #expect(try await progress(a.gid!, 1)?.progress.completedLength == 1)
        // Written through the other entry points in between.
        let moved = GID.random()
        _ = try await repo.update(a.id) { $0.gid = moved }
        #expect(try await progress(a.gid!, 2) == nil, "the old GID names nobody now")
        _ = try await repo.update(a.id) { $0.name = "renamed" }
        let seen = try #require(try await progress(moved, 3))
        #expect(seen.name == "renamed" && seen.gid == moved && seen.progress.completedLength == 3)

        #expect(try await progress(b.gid!, 5)?.progress.completedLength == 5)
        await #expect(throws: Refused.self) {
            _ = try await repo.update(b.id) { download in
                download.name = "never stored"
                throw Refused()
            }
        }
        let afterRefusal = try #require(try await progress(b.gid!, 6))
        #expect(afterRefusal.name == b.name && afterRefusal.progress.completedLength == 6)

        // Two downloads trade GIDs in one call; each is then found under its new one.
        _ = try await repo.update(byGID: [GIDEdit(moved) { $0.gid = .init(rawValue: "00000000000000aa")! }, GIDEdit(b.gid!) { $0.gid = moved }])
        #expect(try await progress(moved, 7)?.id == b.id)
        #expect(try await progress(GID(rawValue: "00000000000000aa")!, 8)?.id == a.id)

        _ = try await repo.delete(b.id)
        #expect(try await progress(moved, 9) == nil, "deleted")
        let c = makeDownload()
        _ = try await repo.insert(c)
        #expect(try await progress(c.gid!, 10)?.id == c.id)
        #expect(try await repo.get(a.id)?.progress.completedLength == 8)
    }

    @Test(arguments: StoreKind.allCases) func everyCommittedChangeIsNumberedAndReportedInOrder(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let reported = Mutex<[CommittedChange]>([])
        repo.reportCommits { changes in reported.withLock { $0 += changes } }
        let downloads = (0..<3).map { _ in makeDownload() }
        for download in downloads { _ = try await repo.insert(download) }
        _ = try await repo.insert(makeDownload(source: downloads[0].source))  // existing: nothing committed
        _ = try await repo.update(byGID: downloads.map { GIDEdit($0.gid!) { $0.progress.completedLength = 1 } })
        _ = try await repo.update(byGID: [GIDEdit(downloads[0].gid!) { $0.status = .active }])
        _ = try await repo.update(downloads[1].id) { _ in }  // no change: no number
        _ = try await repo.delete(downloads[2].id)
        let changes = reported.withLock { $0 }
        #expect(changes.map(\.sequence) == Array(1...8))
        #expect(try await repo.lastSequence() == 8)
        #expect(changes[0].change == .created(downloads[0]))
        #expect(changes[0].representation == DownloadEncoding.v1JSON.encode(downloads[0]))
        #expect(changes[6].representation == DownloadEncoding.v1JSON.encode(changes[6].change!.download))
        #expect(changes[7].change == .deleted(changes[5].change!.download))
        #expect(changes[7].representation == nil)
    }

    @Test(arguments: StoreKind.allCases) func resyncReadsFindUnfinishedDownloadsAndInfoHashes(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let statuses: [DownloadStatus] = [.queued, .complete, .active, .failed, .paused, .cancelled]
        var downloads: [Download] = []
        for (index, status) in statuses.enumerated() {
            var download = makeDownload(status: status, createdAt: Date(millisecondsSince1970: 1_700_000_000_000 + Int64(index)))
            download.infoHash = index == 1 ? "aa" : nil
            downloads.append(download)
            _ = try await repo.insert(download)
        }
        #expect(try await repo.unfinished().map(\.id) == [downloads[0].id, downloads[2].id, downloads[4].id])
        #expect(try await repo.find(infoHashes: ["aa", "bb", "aa"]).map(\.id) == [downloads[1].id])
        #expect(try await repo.countByStatus() == Dictionary(uniqueKeysWithValues: statuses.map { ($0, 1) }))
    }

    @Test(arguments: StoreKind.allCases) func filesAreReadBackAsLastWrittenAcrossProgressWrites(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        let one = [DownloadFile(path: "/data/downloads/a", length: 2, completed: 1, index: 1)]
        let two = one + [DownloadFile(path: "/data/downloads/b", length: 3, completed: 0, index: 2)]
        for files in [one, two, [], one] {
            _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.files = files }])
            #expect(try await repo.get(download.id)?.files == files)
            // A progress write keeps the files as they are.
            _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.progress.completedLength += 1 }])
            #expect(try await repo.get(download.id)?.files == files)
        }
    }

    @Test(arguments: StoreKind.allCases) func deleteRemovesEverything(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        #expect(try await repo.delete(download.id) == download)
        #expect(try await repo.get(download.id) == nil)
        #expect(try await repo.find(gid: download.gid!) == nil)
        #expect(try await repo.find(fingerprint: download.fingerprint) == nil)
        #expect(try await repo.delete(download.id) == nil)
        // The fingerprint is free again: the same source can be added anew.
        #expect(try await repo.insert(makeDownload(source: download.source)).download.id != download.id)
    }
}

@Suite struct SQLitePersistenceTests {
    @Test func mirrorsOptionsCategoryAndTagsSurviveChangesAndReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        var download = makeDownload()
        download.mirrors = ["ftp://127.0.0.1/a"]
        download.options.out = "a.iso"
        download.options.headers = ["Cookie: x=1"]
        download.options.seedRatio = 0.5
        download.category = "iso"
        download.tags = ["a", "b"]
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(download)
            #expect(try await repo.get(download.id) == download)
            // A progress write leaves them alone; a change of them is stored.
            _ = try await repo.update(download.id) { $0.progress.completedLength = 5 }
            let changed = try await repo.update(download.id) { download in
                download.options.maxDownloadLimit = 1000
                download.category = nil
                download.tags = ["c"]
            }
            download = try #require(changed?.new)
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? reopened.close() }
        let stored = try #require(try await reopened.get(download.id))
        #expect(stored == download)
        #expect(stored.options.maxDownloadLimit == 1000 && stored.category == nil && stored.tags == ["c"] && stored.mirrors == ["ftp://127.0.0.1/a"])
        #expect(try await reopened.representation(of: download.id) == DownloadJSON.encode(stored))
    }

    @Test func dataSurvivesReopeningTheFile() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        var download = makeDownload()
        download.files = [DownloadFile(path: "/data/downloads/x", length: 1, completed: 1, index: 1)]
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(download)
            download = try #require(try await repo.update(download.id) { $0.status = .complete }).new
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? reopened.close() }
        #expect(try await reopened.list() == [download])
    }

    @Test func sequenceNumbersSurviveReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await closedSQLiteStore(in: directory, downloads: 3)
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? reopened.close() }
        #expect(reopened.lastSequence() == 3)
        let reported = Mutex<[Int64]>([])
        reopened.reportCommits { changes in reported.withLock { $0 += changes.map(\.sequence) } }
        _ = try await reopened.insert(makeDownload())
        #expect(reported.withLock { $0 } == [4])
    }

    @Test func aFailedWriteUsesNoNumber() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repo = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON)
        defer { try? repo.close() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await repo.update(download.id) { _ in throw Refused() } }
        _ = try await repo.delete(download.id)
        #expect(repo.lastSequence() == 2)
    }

    @Test func theDatabaseUsesWALWithNormalSync() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let repo = try SQLiteDownloadRepo(path: directory.path + "/torrus.sqlite", encoding: .v1JSON)
        _ = try await repo.insert(makeDownload())
        #expect(FileManager.default.fileExists(atPath: directory.path + "/torrus.sqlite-wal"))
        #expect(try repo.synchronousMode() == 1, "NORMAL: see the README on what a power cut can cost")
        try repo.close()
    }
}
