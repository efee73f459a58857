import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// Filtered, sorted pages of the list in both stores, and `GET /v1/downloads?…`.
@Suite struct DownloadPageTests {
    /// `count` downloads a millisecond apart, every third in category "iso", tags by index.
    func fill(_ repo: any DownloadStore, _ count: Int) async throws -> [Download] {
        var made: [Download] = []
        for index in 0..<count {
            var download = makeDownload(source: "http://127.0.0.1/File-\(index).bin")
            download.createdAt = Date(millisecondsSince1970: 1_700_000_000_000 + Int64(index))
            download.updatedAt = download.createdAt
            download.name = "Name \(String(format: "%03d", (index * 37) % count))"
            download.category = index % 3 == 0 ? "iso" : nil
            download.tags = index % 2 == 0 ? ["even"] : ["odd", "x"]
            download.status = index % 4 == 0 ? .paused : .queued
            _ = try await repo.insert(download)
            made.append(download)
        }
        return made
    }

    func ids(_ page: DownloadPage) throws -> [String] {
        try page.items.map { try #require(try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])["id"] as! String }
    }

    /// Every page of `query`, in order.
    func all(_ repo: any DownloadStore, _ query: DownloadQuery) async throws -> [String] {
        var query = query
        var seen: [String] = []
        while true {
            let page = try await repo.page(query)
            seen += try ids(page)
            guard let next = page.next else { return seen }
            query.after = next
        }
    }

    @Test(arguments: StoreKind.allCases) func filtersSortsAndPagesAlikeInBothStores(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let made = try await fill(repo, 30)
        var query = DownloadQuery()
        query.limit = 7
        #expect(try await all(repo, query) == made.map(\.id.lowercasedString), "createdAt order, all of them")
        query.descending = true
        #expect(try await all(repo, query) == made.reversed().map(\.id.lowercasedString))

        query = DownloadQuery()
        query.limit = 4
        query.category = "iso"
        query.tags = ["even"]
        query.statuses = [.paused, .queued]
        let expected = made.filter { $0.category == "iso" && $0.tags.contains("even") }
        #expect(try await all(repo, query) == expected.map(\.id.lowercasedString))

        query = DownloadQuery()
        query.text = "file-1"
        #expect(Set(try await all(repo, query)) == Set(made.filter { $0.source.lowercased().contains("file-1") }.map(\.id.lowercasedString)))
        query.text = "NAME 00"
        #expect(try await all(repo, query).count == 10, "ASCII case folded")

        query = DownloadQuery()
        query.sort = .name
        query.limit = 5
        let byName = made.sorted { ($0.name!, $0.id.uuidString) < ($1.name!, $1.id.uuidString) }
        #expect(try await all(repo, query) == byName.map(\.id.lowercasedString))
        query.descending = true
        #expect(try await all(repo, query) == byName.reversed().map(\.id.lowercasedString))

        query = DownloadQuery()
        query.statuses = [.complete]
        let empty = try await repo.page(query)
        #expect(empty.items.isEmpty && empty.next == nil)
    }

    /// Tags set, changed and removed after the insert, and deleted downloads: `tag=` pages follow
    /// (SQLite keeps them in `downloadTag`, written with the row), alone, combined, in every order.
    @Test(arguments: StoreKind.allCases) func tagPagesFollowTagChangesAndDeletes(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var made = try await fill(repo, 20)
        func expect(_ tags: [String], sort: DownloadSort = .createdAt, descending: Bool = false, _ comment: Comment) async throws {
            var query = DownloadQuery()
            query.tags = tags
            query.sort = sort
            query.descending = descending
            query.limit = 3
            var expected = made.filter { download in tags.allSatisfy(download.tags.contains) }
            switch sort {
            case .createdAt: expected.sort { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) }
            case .name: expected.sort { ($0.name!, $0.id.uuidString) < ($1.name!, $1.id.uuidString) }
            }
            if descending { expected.reverse() }
            #expect(try await all(repo, query) == expected.map(\.id.lowercasedString), comment)
        }
        try await expect(["even"], "as inserted")
        try await expect(["odd", "x"], "two tags")
        for index in [0, 3, 4] {
            let tags = ["new", "x"] + (index == 3 ? ["even"] : [])
            _ = try await repo.update(made[index].id) { $0.tags = tags }
            made[index].tags = tags
        }
        _ = try await repo.update(made[6].id) { $0.tags = [] }
        made[6].tags = []
        _ = try await repo.delete(made[8].id)
        made.remove(at: 8)
        for descending in [false, true] {
            try await expect(["even"], descending: descending, "changed, cleared and deleted")
            try await expect(["x"], descending: descending, "x")
            try await expect(["new", "x"], descending: descending, "added")
            try await expect(["x", "even"], sort: .name, descending: descending, "by name")
        }
        try await expect(["gone"], "no such tag")
    }

    /// `q` is a substring, not a pattern: `%`, `_` and `\` match themselves; ASCII letters fold,
    /// others do not.
    @Test(arguments: StoreKind.allCases) func textIsMatchedLiterally(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        var made: [Download] = []
        for (index, name) in ["100% Done", "a_b", #"C:\Path"#, "abb", "Été", "été", "plain"].enumerated() {
            var download = makeDownload(source: "http://127.0.0.1/item-\(index).bin")
            download.createdAt = Date(millisecondsSince1970: 1_700_000_000_000 + Int64(index))
            download.name = name
            _ = try await repo.insert(download)
            made.append(download)
        }
        func names(_ text: String) async throws -> [String] {
            var query = DownloadQuery()
            query.text = text
            let ids = try await all(repo, query)
            return made.filter { ids.contains($0.id.lowercasedString) }.map { $0.name! }
        }
        #expect(try await names("%") == ["100% Done"])
        #expect(try await names("0% d") == ["100% Done"])
        #expect(try await names("_") == ["a_b"])
        #expect(try await names(#"c:\p"#) == [#"C:\Path"#])
        #expect(try await names("ÉT") == ["Été"], "only ASCII letters fold")
        #expect(try await names("Té") == ["Été", "été"])
        #expect(try await names("ITEM-3") == ["abb"], "the source too")
    }

    /// A store of `count` downloads (`fill`) at `directory`, set back by `undo` (dropping what
    /// later migrations made, and their rows in `grdb_migrations`), then reopened: those
    /// migrations run on existing downloads. The caller closes the store.
    func reopened(_ directory: TemporaryDirectory, count: Int, undoing undo: String) async throws -> (SQLiteDownloadRepo, [Download]) {
        let path = directory.path + "/torrus.sqlite"
        let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        let made = try await fill(repo, count)
        try await repo.pool.write { db in try db.execute(sql: undo) }
        try repo.close()
        return (try SQLiteDownloadRepo(path: path, encoding: .v1JSON), made)
    }

    /// A store written before v10 gets the tag rows of the downloads it holds.
    @Test func theTagIndexIsFilledFromExistingDownloads() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let (repo, made) = try await reopened(
            directory,
            count: 12,
            undoing: """
                DROP TABLE downloadTag; DROP INDEX download_name; DROP INDEX download_status;
                CREATE INDEX download_status ON download (status);
                DELETE FROM grdb_migrations WHERE identifier IN ('v10: tag index', 'v12: status and name order');
                """
        )
        defer { try? repo.close() }
        var query = DownloadQuery()
        query.tags = ["x"]
        #expect(try await all(repo, query) == made.filter { $0.tags.contains("x") }.map(\.id.lowercasedString))
    }

    /// Downloads added and deleted between pages: the ones there throughout come once each, in order.
    @Test(arguments: StoreKind.allCases) func pagesNeitherRepeatNorSkipWhileTheListChanges(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        let made = try await fill(repo, 40)
        var query = DownloadQuery()
        query.limit = 6
        var seen: [String] = []
        var deleted: Set<String> = []
        var index = 0
        while true {
            let page = try await repo.page(query)
            seen += try ids(page)
            // Between pages: one new download, and one not yet seen deleted.
            _ = try await repo.insert(makeDownload())
            if let victim = made.first(where: { !seen.contains($0.id.lowercasedString) && !deleted.contains($0.id.lowercasedString) }) {
                _ = try await repo.delete(victim.id)
                deleted.insert(victim.id.lowercasedString)
            }
            index += 1
            guard let next = page.next else { break }
            query.after = next
        }
        let throughout = made.map(\.id.lowercasedString).filter { !deleted.contains($0) }
        #expect(Set(seen).count == seen.count, "no repeats")
        #expect(seen.filter { throughout.contains($0) } == throughout, "none skipped, in order")
        #expect(!deleted.contains { seen.contains($0) })
    }

    @Test func cursorsRoundTripAndRefuseForgeries() throws {
        let cursor = PageCursor(sort: .name, descending: true, key: .text("a\u{0}b/é"), id: UUID().uuidString)
        #expect(PageCursor(token: cursor.token) == nil, "a NUL in a name makes no cursor parse wrongly")
        let plain = PageCursor(sort: .createdAt, descending: false, key: .number(-5), id: UUID().uuidString)
        #expect(PageCursor(token: plain.token) == plain)
        let named = PageCursor(sort: .name, descending: true, key: .text("Ümlaut / x"), id: UUID().uuidString)
        #expect(PageCursor(token: named.token) == named)
        for bad in ["", "!!!", "MQ", Data("1\u{0}createdAt\u{0}asc\u{0}tX\u{0}\(UUID().uuidString)".utf8).base64EncodedString()] {
            #expect(PageCursor(token: bad) == nil, "\(bad)")
        }
    }

    // MARK: the API

    @Test func withoutAQueryTheListIsThePlainArrayAndWithOneItIsPaged() async throws {
        let api = try APITests()
        try await api.app().test(.router) { client in
            let made = try await fill(api.repo, 5)
            let plain = try await client.execute(uri: "/v1/downloads", method: .get, headers: APITests.auth)
            #expect((try JSONSerialization.jsonObject(with: Data(buffer: plain.body)) as? [[String: Any]])?.count == 5)

            let first = try await client.execute(uri: "/v1/downloads?limit=2&tag=even", method: .get, headers: APITests.auth)
            #expect(first.status == .ok)
            let body = try API.json(first.body)
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == made.filter { $0.tags.contains("even") }.prefix(2).map(\.id.lowercasedString))
            let cursor = try #require(body["nextCursor"] as? String)
            let link = try #require(first.headers[.link])
            #expect(link.hasPrefix("</v1/downloads?") && link.hasSuffix(#">; rel="next""#) && link.contains("cursor=\(cursor)"))
            #expect(first.headers[.torrusSequence] != nil)
            let path = String(link.dropFirst().prefix { $0 != ">" })
            let second = try API.json(try await client.execute(uri: path, method: .get, headers: APITests.auth).body)
            #expect((second["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [made[4].id.lowercasedString])
            #expect(second["nextCursor"] is NSNull)
        }
    }

    @Test func theNextLinkKeepsTheClientsParametersAndEscapesWhatALinkCannotHold() throws {
        func link(_ path: String) -> String {
            let request = Request(
                head: HTTPRequest(method: .get, scheme: "http", authority: "127.0.0.1", path: path),
                body: .init(buffer: ByteBuffer())
            )
            return ListQuery.nextLink(request, token: "NEW")
        }
        #expect(link("/v1/downloads?limit=2&q=N%61me") == "/v1/downloads?limit=2&q=N%61me&cursor=NEW")
        #expect(link("/v1/downloads?cursor=OLD&limit=2") == "/v1/downloads?limit=2&cursor=NEW")
        #expect(link("/v1/downloads?%63ursor=OLD&limit=2") == "/v1/downloads?limit=2&cursor=NEW")
        #expect(link("/v1/downloads?q=a>b\"c <d>") == "/v1/downloads?q=a%3Eb%22c%20%3Cd%3E&cursor=NEW")
    }

    @Test(arguments: [
        ("status=Nope", "not a status"), ("limit=0", "limit"), ("limit=1001", "limit"), ("sort=size", "sort must be"),
        ("order=up", "order must be"), ("cursor=abc", "cursor is not one"), ("stauts=Active", "Unknown query parameter 'stauts'"),
        ("q=", "q must be"), ("category=a&category=b", "once"), ("tag=%20x", "space"),
    ])
    func badListQueriesAre400(_ query: String, _ detail: String) async throws {
        let api = try APITests()
        try await api.app().test(.router) { client in
            try APITests.expectProblem(
                try await client.execute(uri: "/v1/downloads?\(query)", method: .get, headers: APITests.auth),
                .badRequest,
                detail: detail
            )
        }
    }

    @Test func aCursorOfAnotherSortIsRefused() async throws {
        let api = try APITests()
        try await api.app().test(.router) { client in
            _ = try await fill(api.repo, 3)
            let first = try API.json(try await client.execute(uri: "/v1/downloads?limit=1&sort=name", method: .get, headers: APITests.auth).body)
            let cursor = try #require(first["nextCursor"] as? String)
            try APITests.expectProblem(
                try await client.execute(uri: "/v1/downloads?limit=1&cursor=\(cursor)", method: .get, headers: APITests.auth),
                .badRequest,
                detail: "another sort"
            )
        }
    }
}
