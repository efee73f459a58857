import Foundation
import GRDB

/// `DownloadQuery` in SQL: the filters as conditions, the cursor as a row-value comparison on
/// the sort key and the id (the `(createdAt, id)` and `(category, createdAt, id)` indexes serve
/// the usual pages), one row more than the page to know whether another follows.
extension SQLiteDownloadRepo {
    public func page(_ query: DownloadQuery) async throws -> DownloadPage {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if !query.statuses.isEmpty {
                conditions.append("status IN (\(Array(repeating: "?", count: query.statuses.count).joined(separator: ", ")))")
                arguments += query.statuses.map(\.rawValue).sorted()
            }
            if let category = query.category {
                conditions.append("category = ?")
                arguments.append(category)
            }
            for tag in query.tags {
                conditions.append("EXISTS (SELECT 1 FROM json_each(download.tags) WHERE json_each.value = ?)")
                arguments.append(tag)
            }
            if let text = query.text {
                // SQLite's lower() folds ASCII letters only; so does the in-memory store.
                conditions.append("(instr(lower(COALESCE(name, '')), ?) > 0 OR instr(lower(source), ?) > 0)")
                arguments += [text.asciiLowercased, text.asciiLowercased]
            }
            let key = query.sort == .createdAt ? "createdAt" : "COALESCE(name, '')"
            let order = query.descending ? "DESC" : "ASC"
            if let after = query.after {
                conditions.append("(\(key), id) \(query.descending ? "<" : ">") (?, ?)")
                switch after.key {
                case .number(let value): arguments.append(value)
                case .text(let value): arguments.append(value)
                }
                arguments.append(after.id)
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let statement = try db.cachedStatement(
                sql: "SELECT json, \(key), id FROM download \(filter) ORDER BY \(key) \(order), id \(order) LIMIT ?"
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
                items.append(try row.withUnsafeData(atIndex: 0) { data in data.map { Array($0) } ?? [] })
                let value: PageCursor.Key = query.sort == .createdAt ? .number(row[1]) : .text(row[1])
                last = PageCursor(sort: query.sort, descending: query.descending, key: value, id: row[2])
            }
            let next = more ? last : nil
            // In the same read as the rows: the page reflects exactly this much of the log.
            let sequence = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM setting WHERE key = 'sequence'")) ?? 0
            return DownloadPage(items: items, next: next, sequence: sequence)
        }
    }
}
