import Foundation
import NIOCore
import Testing

@testable import Torrus

/// Each store keeps a download's representation (its v1 JSON) current with every write, pages the
/// list by position without gaps or repeats, and the SQLite store encodes its rows again when the
/// representation changes.
@Suite struct RepresentationTests {
    @Test(arguments: StoreKind.allCases) func theRepresentationFollowsEveryWrite(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let download = makeDownload()
        _ = try await repo.insert(download)
        #expect(try await repo.representation(of: download.id) == DownloadJSON.encode(download))
        let updated = try #require(
            try await repo.update(download.id) {
                $0.status = .failed; $0.error = DownloadFailure(code: 3, message: "gone")
            }
        ).new
        #expect(try await repo.representation(of: download.id) == DownloadJSON.encode(updated))
        _ = try await repo.update(byGID: [GIDEdit(download.gid!) { $0.name = "renamed" }])
        #expect(try await repo.representation(of: download.id) == DownloadJSON.encode(try #require(try await repo.get(download.id))))
        _ = try await repo.delete(download.id)
        #expect(try await repo.representation(of: download.id) == nil)
        #expect(try await repo.representation(of: UUID()) == nil)
    }

    @Test(arguments: StoreKind.allCases) func pagesCoverTheListInOrderWithoutGapsOrRepeats(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let base = Date(millisecondsSince1970: 1_700_000_000_000)
        // Several share a timestamp, so the id decides their order.
        for index in 0..<23 { _ = try await repo.insert(makeDownload(createdAt: base.addingTimeInterval(Double(index / 4)))) }
        let expected = try await repo.list().map(DownloadJSON.encode)
        var seen: [[UInt8]] = []
        var position: ListPosition?
        while true {
            let page = try await repo.representations(after: position, limit: 5)
            seen += page.items
            guard let last = page.last, page.items.count == 5 else { break }
            position = last
        }
        #expect(seen == expected)
        #expect(try await repo.representations(after: nil, limit: 100).items == expected)
        #expect(try await repo.representations(after: ListPosition(createdAt: Int64.max, id: ""), limit: 5).items.isEmpty)
    }

    @Test(arguments: StoreKind.allCases) func aPageAfterADeletedPositionContinuesAfterIt(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let base = Date(millisecondsSince1970: 1_700_000_000_000)
        let downloads = (0..<6).map { makeDownload(createdAt: base.addingTimeInterval(Double($0))) }
        for download in downloads { _ = try await repo.insert(download) }
        let first = try await repo.representations(after: nil, limit: 3)
        _ = try await repo.delete(downloads[2].id)  // the last one of the first page
        let second = try await repo.representations(after: first.last, limit: 3)
        #expect(second.items == downloads[3...].map(DownloadJSON.encode))
    }

    @Test func sqliteEncodesItsRowsAgainWhenTheRepresentationChanges() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path + "/torrus.sqlite"
        let download = makeDownload()
        do {
            let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
            _ = try await repo.insert(download)
            try repo.close()
        }
        let marked = DownloadEncoding(version: 99) { Array("v99:\($0.id)".utf8) }
        let reopened = try SQLiteDownloadRepo(path: path, encoding: marked)
        #expect(try await reopened.representation(of: download.id) == Array("v99:\(download.id)".utf8))
        try reopened.close()
        // And back: the version is stored, so the same version again changes nothing.
        let again = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        defer { try? again.close() }
        #expect(try await again.representation(of: download.id) == DownloadJSON.encode(download))
    }

    @Test func theCacheServesWritesAtOnceAndForgetsDeletes() async throws {
        let store = CountingRepo(InMemoryDownloadRepo(encoding: .v1JSON))
        let repo = PublishingDownloadRepo(store, feed: ChangeFeed(), cacheCapacity: 2)
        let downloads = (0..<3).map { _ in makeDownload() }
        for download in downloads { _ = try await repo.insert(download) }
        let updated = try #require(try await repo.update(downloads[2].id) { $0.status = .active }).new
        #expect(try await repo.representation(of: downloads[2].id) == DownloadJSON.encode(updated))
        // Capacity 2: one of the three is read from the store, and is right either way.
        for download in downloads.dropLast() {
            #expect(try await repo.representation(of: download.id) == DownloadJSON.encode(download))
        }
        _ = try await repo.delete(downloads[2].id)
        #expect(try await repo.representation(of: downloads[2].id) == nil)
    }

    @Test func aStoreReadOverlappingAWriteIsNotKept() {
        let cache = RepresentationCache(capacity: 10)
        let id = UUID()
        let ticket = cache.ticket()
        cache.wrote(UUID(), [1])  // any write in between
        cache.fill(id, [0], ticket: ticket)
        #expect(cache.get(id) == nil)
        cache.fill(id, [2], ticket: cache.ticket())
        #expect(cache.get(id) == [2])
        cache.wrote(id, nil)
        #expect(cache.get(id) == nil)
    }

    @Test func theCachedListIsDroppedByAnyWrite() async throws {
        let repo = PublishingDownloadRepo(InMemoryDownloadRepo(encoding: .v1JSON), feed: ChangeFeed())
        func ids() async throws -> [String] {
            let array = try #require(try await repo.representationArray(limit: 10))
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: array)) as? [[String: Any]])
            return list.compactMap { $0["id"] as? String }
        }
        let first = makeDownload()
        _ = try await repo.insert(first)
        #expect(try await ids() == [first.id.lowercasedString])
        #expect(try await ids() == [first.id.lowercasedString])  // served again, unchanged
        let second = makeDownload()
        _ = try await repo.insert(second)
        #expect(try await ids().count == 2)
        _ = try await repo.update(second.id) { $0.name = "changed" }
        let array = try #require(try await repo.representationArray(limit: 10))
        #expect(String(buffer: array).contains("changed"))
        _ = try await repo.delete(first.id)
        #expect(try await ids() == [second.id.lowercasedString])
        // Longer than the limit: no array, the caller pages.
        #expect(try await repo.representationArray(limit: 1) == nil)
    }
}

@Suite struct RepresentationCacheTests {
    @Test func whenFullTheOldestEntryMakesRoom() {
        let cache = RepresentationCache(capacity: 3)
        let ids = (0..<5).map { _ in UUID() }
        for (index, id) in ids.enumerated() { cache.wrote(id, [UInt8(index)]) }
        #expect(ids.map { cache.get($0) } == [nil, nil, [2], [3], [4]])
        // Rewriting an entry keeps it; deleting one frees its place without evicting another.
        cache.wrote(ids[2], [9])
        cache.wrote(ids[3], nil)
        let next = UUID()
        cache.wrote(next, [5])
        #expect([ids[2], ids[3], ids[4], next].map { cache.get($0) } == [[9], nil, [4], [5]])
    }

    @Test func staysBoundedThroughManyWritesAndDeletes() {
        let cache = RepresentationCache(capacity: 100)
        var kept: [UUID] = []
        for round in 0..<10_000 {
            let id = UUID()
            cache.wrote(id, [1])
            if round % 2 == 0 { cache.wrote(id, nil) } else { kept.append(id) }
        }
        #expect(kept.suffix(100).allSatisfy { cache.get($0) != nil })
        #expect(kept.dropLast(100).allSatisfy { cache.get($0) == nil })
    }
}
