import Foundation
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
        #expect(page.events.map(\.sequence) == Array(1...6))
        #expect(
            page.events.map(\.type) == [
                .downloadCreated, .downloadProgress, .downloaderDisconnected, .downloadStatus, .downloadMeta, .downloadDeleted,
            ]
        )
        #expect(page.events.map(\.downloadID) == [download.id, download.id, nil, download.id, download.id, download.id])
        #expect(page.events == reported.withLock { $0.map(\.event) }, "what is logged is what was published")
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

    @Test func theSQLiteLogKeepsTheNewestEventsAndSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        let download = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON, eventRetention: EventRetention(count: 20))
            _ = try await repo.insert(download)
            for index in 1...40 {
                _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.progress.completedLength = Int64(index) }])
            }
            let page = try await repo.events(after: 0, limit: 100)
            // Pruned every count / 10 events: between 20 and 22 are kept.
            #expect((20...22).contains(page.events.count), "\(page.events.count)")
            #expect(page.events.last?.sequence == 41)
            #expect(page.cannotReplay(after: 0))
            try repo.close()
        }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: .v1JSON, eventRetention: EventRetention(count: 20))
        defer { try? reopened.close() }
        let page = try await reopened.events(after: 39, limit: 100)
        #expect(page.events.map(\.sequence) == [40, 41])
        #expect(page.events.last?.type == .downloadProgress)
        #expect(page.oldest == 22, "pruned to the newest 20 when opened")
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
