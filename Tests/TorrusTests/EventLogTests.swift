import Foundation
import GRDB
import Synchronization
import Testing

@testable import Torrus

/// The event log of both stores: one event per committed change under the change's number, the
/// downloader's events in between, pages, and what cannot be replayed.
@Suite struct EventLogTests {
    @Test(arguments: StoreKind.allCases) func everyChangeIsLoggedUnderItsNumber(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let reported = Mutex<[CommittedChange]>([])
        repo.reportCommits { changes in reported.withLock { $0 += changes } }
        let download = makeDownload()
        _ = try await repo.insert(download)
        _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.progress.completedLength = 5 }])
        try await repo.logDownloaderEvent(.downloaderDisconnected)
        _ = try await repo.update(download.id) { $0.status = .active }
        _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.name = "a.iso" }])
        _ = try await repo.delete(download.id)

        let page = try await repo.events(after: 0, limit: 100)
        // The progress event (2) left the log with its download: only a download's latest
        // progress is kept, and none once it is deleted.
        #expect(page.events.map(\.sequence) == [1, 3, 4, 5, 6])
        #expect(page.events.map(\.type) == [.downloadCreated, .downloaderDisconnected, .downloadStatus, .downloadMeta, .downloadDeleted])
        #expect(page.events.map(\.downloadID) == [download.id, nil, download.id, download.id, download.id])
        let published = reported.withLock { $0.map(\.event) }
        #expect(published.map(\.sequence) == Array(1...6) && published[1].type == .downloadProgress, "everything is published")
        #expect(page.events == published.filter { $0.sequence != 2 }, "what is logged is what was published")
        #expect(reported.withLock { $0[2].change } == nil)
        #expect(page.oldest == 1 && page.last == 6)

        let rest = try await repo.events(after: 4, limit: 1)
        #expect(rest.events.map(\.sequence) == [5])
        #expect(try await repo.events(after: 6, limit: 10).events.isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func anIDTheLogCannotContinueFromIsSaidSo(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let empty = try await repo.events(after: 0, limit: 10)
        #expect(!empty.cannotReplay(after: 0))
        #expect(empty.cannotReplay(after: 1), "from the future")
        for _ in 0..<3 { _ = try await repo.insert(makeDownload()) }
        let page = try await repo.events(after: 0, limit: 10)
        #expect(!page.cannotReplay(after: 0) && !page.cannotReplay(after: 3))
        #expect(page.cannotReplay(after: 4))
    }

    @Test func theInMemoryLogKeepsTheNewestEvents() async throws {
        let repo = InMemoryDownloadRepo(encoding: .v1JSON, eventCapacity: 3)
        for _ in 0..<5 { _ = try await repo.insert(makeDownload()) }
        let page = await repo.events(after: 0, limit: 10)
        #expect(page.events.map(\.sequence) == [3, 4, 5])
        #expect(page.cannotReplay(after: 1))
        #expect(!page.cannotReplay(after: 2))
        #expect(await repo.events(after: 3, limit: 10).events.map(\.sequence) == [4, 5])
    }

    @Test(arguments: StoreKind.allCases) func onlyADownloadsLatestProgressIsKept(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let (one, two) = (makeDownload(), makeDownload())
        _ = try await repo.insert(one)
        _ = try await repo.insert(two)
        for index in 1...10 {
            _ = try await repo.update(byGID: [
                GIDEdit(one.gid!) { $0.progress.completedLength = Int64(index) }, GIDEdit(two.gid!) { $0.progress.completedLength = Int64(index) },
            ])
        }
        _ = try await repo.update(one.id) { $0.status = .active }
        _ = try await repo.update(byGID: [GIDEdit(two.gid!) { $0.progress.completedLength = 99 }])
        let page = try await repo.events(after: 0, limit: 100)
        #expect(page.events.map(\.sequence) == [1, 2, 21, 23, 24])
        #expect(page.events.map(\.type) == [.downloadCreated, .downloadCreated, .downloadProgress, .downloadStatus, .downloadProgress])
        #expect(page.events[2].downloadID == one.id && page.events[4].downloadID == two.id)
        #expect(!page.cannotReplay(after: 0) && !page.cannotReplay(after: 10), "a superseded progress event is not a loss")
        #expect(try await repo.events(after: 21, limit: 1).events.map(\.sequence) == [23])
        #expect(try await repo.events(after: 0, limit: 3).events.map(\.sequence) == [1, 2, 21])
    }

    @Test func theSQLiteLogKeepsTheNewestEventsAndSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        let download = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON, eventRetention: EventRetention(count: 20))
            _ = try await repo.insert(download)
            for index in 1...40 {
                _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.name = "name-\(index)" }])
                _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.progress.completedLength = Int64(index) }])
            }
            let page = try await repo.events(after: 0, limit: 100)
            // Pruned every count / 10 events: between 20 and 22 meta events are kept, and the latest progress.
            #expect((21...23).contains(page.events.count), "\(page.events.count)")
            #expect(page.events.last?.sequence == 81 && page.events.last?.type == .downloadProgress)
            #expect(page.cannotReplay(after: 0))
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON, eventRetention: EventRetention(count: 20))
        defer { try? reopened.close() }
        let page = try await reopened.events(after: 77, limit: 100)
        #expect(page.events.map(\.sequence) == [78, 80, 81])
        #expect(page.events.map(\.type) == [.downloadMeta, .downloadMeta, .downloadProgress])
        #expect(page.oldest == 42, "pruned to the newest 20 when opened")
        #expect(try await reopened.events(after: 0, limit: 100).events.count == 21)
    }

    /// A log written before progress was kept apart: its latest progress per download moves over.
    @Test func progressLoggedBeforeTheSplitIsMovedOnOpening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        let download = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(download)
            try repo.close()
        }
        // As the store was at "v5": progress rows in `event`, no `progressEvent`.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "DROP TABLE progressEvent; DELETE FROM grdb_migrations WHERE identifier = 'v6: latest progress only'")
            for sequence in 2...4 {
                try db.execute(
                    sql: "INSERT INTO event (sequence, type, download, at, data) VALUES (?, 'download.progress', ?, 0, ?)",
                    arguments: [sequence, download.id.lowercasedString, Data("{\"n\":\(sequence)}".utf8)]
                )
            }
            try db.execute(sql: "UPDATE setting SET value = 4 WHERE key = 'sequence'")
        }
        try queue.close()
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? reopened.close() }
        let page = try await reopened.events(after: 0, limit: 10)
        #expect(page.events.map(\.sequence) == [1, 4] && page.events.last?.data == Array("{\"n\":4}".utf8))
        #expect(page.oldest == 1 && page.last == 4)
    }

    @Test func eventsOlderThanTheRetentionAgeAreDropped() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try await closedSQLiteStore(in: directory, downloads: 3)
        // Time must pass for events to age; nothing else is waited for.
        try await Task.sleep(for: .milliseconds(300))
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON, eventRetention: EventRetention(age: .milliseconds(100)))
        defer { try? reopened.close() }
        let page = try await reopened.events(after: 0, limit: 10)
        #expect(page.events.isEmpty)
        #expect(page.oldest == 4 && page.last == 3)
        #expect(page.cannotReplay(after: 0) && !page.cannotReplay(after: 3))
    }
}
