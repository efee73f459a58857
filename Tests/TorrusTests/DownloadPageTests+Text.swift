import Foundation
import GRDB
import Testing

@testable import Torrus

/// `q` in the SQLite store asks its trigram index first (`SearchText`): the same matches as the
/// scan and as the in-memory store, whichever way a page is read.
extension DownloadPageTests {
    func names(_ repo: any DownloadStore, _ text: String, among made: [Download]) async throws -> [String] {
        var query = DownloadQuery()
        query.text = text
        let ids = try await all(repo, query)
        return made.filter { ids.contains($0.id.lowercasedString) }.map { $0.name ?? "" }
    }

    @Test(arguments: StoreKind.allCases) func textFollowsRenamesAndDeletes(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var download = makeDownload(source: "http://127.0.0.1/first.iso")
        download.name = "Quartz Harbor"
        download.createdAt = Date(millisecondsSince1970: 1_700_000_000_000)
        _ = try await repo.insert(download)
        var other = makeDownload(source: "magnet:?xt=urn:btih:\(String(repeating: "ab", count: 20))&dn=Zircon")
        other.name = nil
        other.createdAt = Date(millisecondsSince1970: 1_700_000_000_001)
        _ = try await repo.insert(other)
        #expect(try await names(repo, "quartz", among: [download]) == ["Quartz Harbor"])

        _ = try await repo.update(download.id) { $0.name = "Zircon Field" }
        download.name = "Zircon Field"
        #expect(try await names(repo, "quartz", among: [download]).isEmpty, "the old name is gone from the index")
        #expect(try await all(repo, query(text: "zircon")) == [download.id, other.id].map(\.lowercasedString), "name, and source")

        _ = try await repo.delete(download.id)
        #expect(try await all(repo, query(text: "zircon")) == [other.id.lowercasedString])
    }

    /// More candidates than `SearchText.candidateLimit`: the page is read in list order, as
    /// before the index; fewer: from the index. Both give every match once, in order.
    @Test(arguments: StoreKind.allCases) func commonAndRareTermsPageAlike(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var made: [Download] = []
        for index in 0..<(SearchText.candidateLimit + 40) {
            var download = makeDownload(source: "http://127.0.0.1/common-\(index).bin")
            download.createdAt = Date(millisecondsSince1970: 1_700_000_000_000 + Int64(index))
            download.name = index % 100 == 7 ? "Rare Orchid \(index)" : "Plain \(index)"
            _ = try await repo.insert(download)
            made.append(download)
        }
        var common = query(text: "COMMON-")
        common.limit = 150
        #expect(try await all(repo, common) == made.map(\.id.lowercasedString))
        var rare = query(text: "orchid")
        rare.limit = 3
        #expect(try await all(repo, rare) == made.filter { $0.name!.hasPrefix("Rare") }.map(\.id.lowercasedString))
        rare.sort = .name
        rare.descending = true
        let byName = made.filter { $0.name!.hasPrefix("Rare") }.sorted { ($0.name!, $0.id.uuidString) > ($1.name!, $1.id.uuidString) }
        #expect(try await all(repo, rare) == byName.map(\.id.lowercasedString))
        #expect(try await all(repo, query(text: "absent term")).isEmpty)
    }

    /// The index folds more than ASCII letters; the check after it does not, so `q` still folds
    /// ASCII letters only. Quotes are text, not FTS syntax.
    @Test(arguments: StoreKind.allCases) func theIndexNarrowsButDoesNotWiden(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var made: [Download] = []
        for (index, name) in ["Été Long", "été long", #"say "hi" OR x*"#, "ÄBC"].enumerated() {
            var download = makeDownload(source: "http://127.0.0.1/item-\(index).bin")
            download.createdAt = Date(millisecondsSince1970: 1_700_000_000_000 + Int64(index))
            download.name = name
            _ = try await repo.insert(download)
            made.append(download)
        }
        #expect(try await names(repo, "ÉTÉ", among: made).isEmpty)
        #expect(try await names(repo, "éTé", among: made) == ["été long"])
        #expect(try await names(repo, "Été L", among: made) == ["Été Long"])
        #expect(try await names(repo, #""hi" or"#, among: made) == [#"say "hi" OR x*"#])
        #expect(try await names(repo, "x*", among: made) == [#"say "hi" OR x*"#])
        #expect(try await names(repo, "äbc", among: made).isEmpty)
    }

    /// A store written before v13 gets the index of the downloads it holds.
    @Test func theTextIndexIsFilledFromExistingDownloads() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (repo, made) = try await reopened(
            directory,
            count: 12,
            undoing: """
                DROP TRIGGER download_text_insert; DROP TRIGGER download_text_update; DROP TRIGGER download_text_delete;
                DROP TABLE downloadText; DROP TABLE downloadTextKey;
                DELETE FROM grdb_migrations WHERE identifier = 'v13: text index';
                """
        )
        defer { try? repo.close() }
        #expect(try await all(repo, query(text: "name 01")) == made.filter { $0.name!.hasPrefix("Name 01") }.map(\.id.lowercasedString))
        let indexed = try await repo.pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM downloadText") }
        #expect(indexed == 12)
        // And it keeps up afterwards.
        var later = makeDownload(source: "http://127.0.0.1/later.bin")
        later.name = "Later Lantern"
        _ = try await repo.insert(later)
        #expect(try await all(repo, query(text: "lantern")) == [later.id.lowercasedString])
    }

    private func query(text: String) -> DownloadQuery {
        var query = DownloadQuery()
        query.text = text
        return query
    }
}
