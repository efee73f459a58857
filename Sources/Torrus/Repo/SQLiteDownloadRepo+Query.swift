import Foundation
import GRDB

/// `DownloadQuery` in SQL: the filters as conditions, the cursor as a row-value comparison on
/// the sort key and the id, one row more than the page to know whether another follows. Every
/// single filter is read in page order from an index, so a page reads about as many rows as it
/// holds: `(createdAt, id)`, `(status, createdAt, id)`, `(category, createdAt, id)`,
/// `(COALESCE(name, ''), id)`, and for tags the `downloadTag` table, `(tag, createdAt, download)`,
/// which then drives the query (a page of a tag sorted by `createdAt` never sorts). `q` asks the
/// trigram index (`SearchText`) how many downloads may match: up to `candidateLimit`, the page is
/// read from those; more, and it reads in list order until the page is full (see
/// docs/benchmarks.md).
extension SQLiteDownloadRepo {
    public func page(_ query: DownloadQuery) async throws -> DownloadPage {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            var source = "download"
            var (key, id) = query.sort == .createdAt ? ("download.createdAt", "download.id") : ("COALESCE(download.name, '')", "download.id")
            if let tag = query.tags.first {
                source = "downloadTag JOIN download ON download.id = downloadTag.download"
                conditions.append("downloadTag.tag = ?")
                arguments.append(tag)
                // The same values (createdAt is the row's), but these are in the tag's index order.
                if query.sort == .createdAt { (key, id) = ("downloadTag.createdAt", "downloadTag.download") }
            }
            for tag in query.tags.dropFirst() {
                conditions.append("EXISTS (SELECT 1 FROM downloadTag AS other WHERE other.download = download.id AND other.tag = ?)")
                arguments.append(tag)
            }
            if !query.statuses.isEmpty {
                conditions.append("download.status IN (\(Array(repeating: "?", count: query.statuses.count).joined(separator: ", ")))")
                arguments += query.statuses.map(\.rawValue).sorted()
            }
            if let category = query.category {
                conditions.append("download.category = ?")
                arguments.append(category)
            }
            if let text = query.text {
                // LIKE folds ASCII letters only, as the in-memory store does; unlike
                // `instr(lower(…))` it makes no lowered copy of every name and source it reads,
                // which was most of the cost of a `q` page (it reads until the page is full).
                let pattern = "%" + text.replacing("\\", with: "\\\\").replacing("%", with: "\\%").replacing("_", with: "\\_") + "%"
                conditions.append(#"(COALESCE(download.name, '') LIKE ? ESCAPE '\' OR download.source LIKE ? ESCAPE '\')"#)
                arguments += [pattern, pattern]
                // A term in few downloads (or none): the page is read from the index's candidates
                // and sorted, instead of reading the list until the page is full (all of it, for a
                // term nothing has).
                if let phrase = SearchText.phrase(text), try Self.candidates(of: phrase, db) <= SearchText.candidateLimit {
                    conditions.append(
                        """
                        download.id IN (SELECT downloadTextKey.download FROM downloadText \
                        JOIN downloadTextKey ON downloadTextKey.key = downloadText.rowid WHERE downloadText MATCH ?)
                        """
                    )
                    arguments.append(phrase)
                }
            }
            let order = query.descending ? "DESC" : "ASC"
            if let after = query.after {
                let value: any DatabaseValueConvertible =
                    switch after.key {
                    case .number(let value): value
                    case .text(let value): value
                    }
                // The first, redundant condition is what lets SQLite start the name index at the
                // cursor: it does not use a row value for a range of an indexed expression.
                let comparison = query.descending ? "<" : ">"
                conditions.append("\(key) \(comparison)= ? AND (\(key), \(id)) \(comparison) (?, ?)")
                arguments += [value, value, after.id]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let statement = try db.cachedStatement(
                sql: "SELECT download.json, \(key), \(id) FROM \(source) \(filter) ORDER BY \(key) \(order), \(id) \(order) LIMIT ?"
            )
            statement.arguments = StatementArguments(arguments + [query.limit + 1])
            var items: [[UInt8]] = []
            var last: PageCursor?
            var more = false
            let rows = try Row.fetchCursor(statement)
            while let row = try rows.next() {
                guard items.count < query.limit else {
                    more = true
                    break
                }
                items.append(try row.bytes(atIndex: 0))
                let value: PageCursor.Key = query.sort == .createdAt ? .number(row[1]) : .text(row[1])
                last = PageCursor(sort: query.sort, descending: query.descending, key: value, id: row[2])
            }
            let next = more ? last : nil
            // In the same read as the rows: the page reflects exactly this much of the log.
            let sequence = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM setting WHERE key = 'sequence'")) ?? 0
            return DownloadPage(items: items, next: next, sequence: sequence)
        }
    }

    /// How many downloads the text index has for `phrase`, counted up to one past the limit.
    private static func candidates(of phrase: String, _ db: Database) throws -> Int {
        let statement = try db.cachedStatement(sql: "SELECT count(*) FROM (SELECT 1 FROM downloadText WHERE downloadText MATCH ? LIMIT ?)")
        return try Int.fetchOne(statement, arguments: [phrase, SearchText.candidateLimit + 1]) ?? 0
    }
}
