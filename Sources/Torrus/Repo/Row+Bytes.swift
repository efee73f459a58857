import GRDB

extension Row {
    /// The blob (or text) at `index` as bytes, `[]` for NULL: one copy straight from SQLite's
    /// buffer. `Array(data)` on the `Data` GRDB lends walks it through an iterator, which was a
    /// visible share of a list page's CPU.
    func bytes(atIndex index: Int) throws -> [UInt8] {
        try withUnsafeData(atIndex: index) { data in
            data?.withUnsafeBytes { [UInt8]($0) } ?? []
        }
    }

    /// The first column of the statement's first row as bytes, nil when it has no row. The
    /// cursor is held until the bytes are copied: its row lives only as long as it does.
    static func firstBytes(_ statement: Statement, arguments: StatementArguments) throws -> [UInt8]? {
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        return try withExtendedLifetime(rows) { try rows.next()?.bytes(atIndex: 0) }
    }
}
