import Foundation
import GRDB

/// The default, persistent store: one SQLite file in WAL mode, through GRDB. Writes are
/// serialised by the pool, which is what makes `insert` and `update` atomic; reads run
/// concurrently with them.
public final class SQLiteDownloadRepo: DownloadRepo {
    private let pool: DatabasePool
    private let encoding: DownloadEncoding

    /// Opens (creating if needed) the database at `path`, migrates it to the current schema, and
    /// encodes every row again if they were written with another `encoding.version`.
    public init(path: String, encoding: DownloadEncoding) throws {
        var configuration = Configuration()
        configuration.label = "torrus"
        // A writer waiting on a checkpoint or another process should wait, not fail.
        configuration.busyMode = .timeout(5)
        pool = try DatabasePool(path: path, configuration: configuration)
        self.encoding = encoding
        try Self.migrator.migrate(pool)
        try Self.reencodeIfNeeded(pool, encoding)
    }

    /// Folds the write-ahead log into the database file and closes it; pending writes have
    /// completed when this returns. GRDB keeps the WAL file itself (persistent WAL), empty.
    public func close() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
    }

    public func get(_ id: UUID) async throws -> Download? {
        try await pool.read { db in try DownloadRecord.fetchOne(db, key: id.uuidString)?.download() }
    }

    public func list() async throws -> [Download] {
        try await pool.read { db in
            try DownloadRecord.order(Column("createdAt"), Column("id")).fetchAll(db).map { try $0.download() }
        }
    }

    public func representation(of id: UUID) async throws -> [UInt8]? {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT json FROM download WHERE id = ?")
            return try Data.fetchOne(statement, arguments: [id.uuidString]).map { Array($0) }
        }
    }

    public func representations(after position: ListPosition?, limit: Int) async throws -> RepresentationPage {
        try await pool.read { db in
            let statement: Statement
            if let position {
                // A row value comparison: the (createdAt, id) index serves it, no offset scan.
                statement = try db.cachedStatement(
                    sql: "SELECT createdAt, id, json FROM download WHERE (createdAt, id) > (?, ?) ORDER BY createdAt, id LIMIT ?"
                )
                statement.arguments = [position.createdAt, position.id, limit]
            } else {
                statement = try db.cachedStatement(sql: "SELECT createdAt, id, json FROM download ORDER BY createdAt, id LIMIT ?")
                statement.arguments = [limit]
            }
            var items: [[UInt8]] = []
            var last: ListPosition?
            let rows = try Row.fetchCursor(statement)
            while let row = try rows.next() {
                items.append(try row.withUnsafeData(atIndex: 2) { data in data.map { Array($0) } ?? [] })
                last = ListPosition(createdAt: row[0], id: row[1])
            }
            return RepresentationPage(items: items, last: last)
        }
    }

    public func find(fingerprint: String) async throws -> Download? {
        try await pool.read { db in
            try DownloadRecord.filter(Column("fingerprint") == fingerprint).fetchOne(db)?.download()
        }
    }

    public func find(gid: GID) async throws -> Download? {
        try await pool.read { db in try DownloadRecord.filter(Column("gid") == gid.rawValue).fetchOne(db)?.download() }
    }

    public func find(gids: [GID]) async throws -> [Download] {
        try await pool.read { db in
            try DownloadRecord.filter(gids.map(\.rawValue).contains(Column("gid"))).fetchAll(db).map { try $0.download() }
        }
    }

    public func insert(_ download: Download) async throws -> InsertOutcome {
        try await pool.write { db in
            if let existing = try DownloadRecord.filter(Column("fingerprint") == download.fingerprint).fetchOne(db) {
                return .existing(try existing.download())
            }
            try Self.checkUnique(download, in: db, excluding: nil)
            try DownloadRecord(download, json: encoding.encode(download)).insert(db)
            return .inserted(download)
        }
    }

    public func update(
        _ id: UUID,
        _ mutate: @escaping @Sendable (inout Download) throws -> Void
    ) async throws -> DownloadUpdate? {
        try await pool.write { db in try Self.update(id, mutate, encoding: self.encoding, in: db) }
    }

    public func updateEach(
        _ ids: [UUID],
        _ mutate: @escaping @Sendable (inout Download) -> Void
    ) async throws -> [DownloadUpdate] {
        try await pool.write { db in
            try ids.compactMap { try Self.update($0, mutate, encoding: self.encoding, in: db) }.filter(\.changed)
        }
    }

    public func delete(_ id: UUID) async throws -> Download? {
        try await pool.write { db in
            guard let record = try DownloadRecord.fetchOne(db, key: id.uuidString) else { return nil }
            try record.delete(db)
            return try record.download()
        }
    }

    private static func update(
        _ id: UUID,
        _ mutate: (inout Download) throws -> Void,
        encoding: DownloadEncoding,
        in db: Database
    ) throws -> DownloadUpdate? {
        guard let old = try DownloadRecord.fetchOne(db, key: id.uuidString)?.download() else { return nil }
        let new = try applying(mutate, to: old, now: .nowMilliseconds())
        if new != old {
            try checkUnique(new, in: db, excluding: old)
            try DownloadRecord(new, json: encoding.encode(new)).update(db)
        }
        return DownloadUpdate(old: old, new: new)
    }

    /// Turns a GID collision into the same typed error the in-memory store throws, instead of a
    /// raw SQLite constraint failure.
    private static func checkUnique(_ download: Download, in db: Database, excluding old: Download?) throws {
        if old == nil, try DownloadRecord.exists(db, key: download.id.uuidString) {
            throw RepoError.duplicateID(download.id)
        }
        if let gid = download.gid, gid != old?.gid,
            try DownloadRecord.filter(Column("gid") == gid.rawValue).fetchCount(db) > 0
        {
            throw RepoError.duplicateGID(gid)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: downloads") { db in
            try db.create(table: DownloadRecord.databaseTableName) { table in
                table.primaryKey("id", .text)
                table.column("gid", .text).unique()
                table.column("source", .text).notNull()
                table.column("targetPath", .text).notNull()
                table.column("fingerprint", .text).notNull().unique()
                table.column("name", .text)
                table.column("files", .jsonText).notNull()
                table.column("status", .text).notNull()
                table.column("desiredStatus", .text).notNull()
                table.column("completedLength", .integer).notNull()
                table.column("totalLength", .integer).notNull()
                table.column("downloadSpeed", .integer).notNull()
                table.column("uploadSpeed", .integer).notNull()
                table.column("errorCode", .text)
                table.column("errorMessage", .text)
                table.column("infoHash", .text).indexed()
                table.column("createdAt", .integer).notNull()
                table.column("updatedAt", .integer).notNull()
            }
            try db.create(index: "download_order", on: DownloadRecord.databaseTableName, columns: ["createdAt", "id"])
        }
        migrator.registerMigration("v2: stored representation") { db in
            // Filled by `reencodeIfNeeded` right after migrating (a migration cannot know the encoding).
            try db.alter(table: DownloadRecord.databaseTableName) { table in table.add(column: "json", .blob) }
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .integer).notNull()
            }
        }
        return migrator
    }

    /// Encodes every row again when the stored representation is missing (rows from before it
    /// existed) or of another version, in one transaction.
    private static func reencodeIfNeeded(_ pool: DatabasePool, _ encoding: DownloadEncoding) throws {
        try pool.write { db in
            let stored = try Int.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'encodingVersion'")
            let missing = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM download WHERE json IS NULL)") ?? false
            guard stored != encoding.version || missing else { return }
            // In batches by primary key, not under one open cursor: the loop writes the table it reads.
            let write = try db.makeStatement(sql: "UPDATE download SET json = ? WHERE id = ?")
            var after = ""
            while true {
                let batch = try DownloadRecord.filter(Column("id") > after).order(Column("id")).limit(1000).fetchAll(db)
                guard let last = batch.last else { break }
                for record in batch {
                    try write.execute(arguments: [Data(encoding.encode(try record.download())), record.id])
                }
                after = last.id
            }
            try db.execute(
                sql: "INSERT INTO setting (key, value) VALUES ('encodingVersion', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [encoding.version]
            )
        }
    }
}

/// The row shape of a download. Timestamps are integer milliseconds so that values read back
/// equal values written, and ordering needs no date parsing.
private struct DownloadRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "download"

    var id: String
    var gid: String?
    var source: String
    var targetPath: String
    var fingerprint: String
    var name: String?
    var files: [DownloadFile]
    var status: String
    var desiredStatus: String
    var completedLength: Int64
    var totalLength: Int64
    var downloadSpeed: Int64
    var uploadSpeed: Int64
    var errorCode: String?
    var errorMessage: String?
    var infoHash: String?
    var createdAt: Int64
    var updatedAt: Int64
    /// The stored representation (`DownloadEncoding`); nil only in rows from before it existed.
    var json: Data?

    init(_ download: Download, json: [UInt8]) {
        id = download.id.uuidString
        gid = download.gid?.rawValue
        source = download.source
        targetPath = download.targetPath
        fingerprint = download.fingerprint
        name = download.name
        files = download.files
        status = download.status.rawValue
        desiredStatus = download.desiredStatus.rawValue
        completedLength = download.progress.completedLength
        totalLength = download.progress.totalLength
        downloadSpeed = download.progress.downloadSpeed
        uploadSpeed = download.progress.uploadSpeed
        errorCode = download.error.map { String($0.code) }
        errorMessage = download.error?.message
        infoHash = download.infoHash
        createdAt = download.createdAt.millisecondsSince1970
        updatedAt = download.updatedAt.millisecondsSince1970
        self.json = Data(json)
    }

    /// Rows are only written by `init(_:)`, so an unreadable value means a damaged file: report
    /// it as such instead of inventing a value.
    func download() throws -> Download {
        guard let uuid = UUID(uuidString: id), let status = DownloadStatus(rawValue: status),
            let desired = DesiredStatus(rawValue: desiredStatus)
        else { throw RepoError.corruptRow(id) }
        let gid = try gid.map { raw in
            guard let gid = GID(rawValue: raw) else { throw RepoError.corruptRow(id) }
            return gid
        }
        return Download(
            id: uuid,
            gid: gid,
            source: source,
            targetPath: targetPath,
            fingerprint: fingerprint,
            name: name,
            files: files,
            status: status,
            desiredStatus: desired,
            progress: DownloadProgress(
                completedLength: completedLength,
                totalLength: totalLength,
                downloadSpeed: downloadSpeed,
                uploadSpeed: uploadSpeed
            ),
            // Rows written before codes were numbers may hold a word: 13 is aria2's "file exists".
            error: errorCode.map { DownloadFailure(code: Int($0) ?? ($0 == "torrus-payload-exists" ? 13 : 1), message: errorMessage ?? "") },
            infoHash: infoHash,
            createdAt: Date(millisecondsSince1970: createdAt),
            updatedAt: Date(millisecondsSince1970: updatedAt)
        )
    }
}
