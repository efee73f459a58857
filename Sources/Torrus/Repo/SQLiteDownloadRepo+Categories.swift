import GRDB

extension SQLiteDownloadRepo {
    public func categoryPaths() async throws -> [String: String] {
        try await pool.read { db in
            var paths: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, targetPath FROM category") { paths[row[0]] = row[1] }
            return paths
        }
    }

    @discardableResult
    public func setCategoryPath(_ name: String, to path: String?) async throws -> Bool {
        try await pool.write { db in
            let existed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM category WHERE name = ?)", arguments: [name]) ?? false
            if let path {
                try db.execute(
                    sql: "INSERT INTO category (name, targetPath) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET targetPath = excluded.targetPath",
                    arguments: [name, path]
                )
            } else {
                try db.execute(sql: "DELETE FROM category WHERE name = ?", arguments: [name])
            }
            return existed
        }
    }
}
