import Foundation
import GRDB
import Synchronization

/// The default, persistent store: one SQLite file in WAL mode, through GRDB. Writes are
/// serialised by the pool, which is what makes `insert` and `update` atomic; reads run
/// concurrently with them.
///
/// Durability: WAL with `synchronous=NORMAL`. A commit is in the WAL before the write returns, so
/// a killed torrusd loses nothing; a power cut can lose the last commits since the last
/// checkpoint (never corrupts the file). `FULL` would add an fsync to every progress write of the
/// event path.
///
/// The hot paths (the event path's writes, single reads) use cached statements and read rows
/// column by column (`DownloadRow`), not GRDB's query builder and `Codable`: building and
/// authorising SQL for every row was most of the CPU of a progress write.
public final class SQLiteDownloadRepo: DownloadStore {
    /// Internal for the webhook tables (`SQLiteDownloadRepo+Webhooks.swift`).
    let pool: DatabasePool
    private let encoding: DownloadEncoding
    private let listener = CommitListenerSlot()
    /// The last committed sequence number; only written on the pool's writer queue.
    private let sequence: Mutex<Int64>
    private let writer = SerialQueueExecutor(label: "torrus.sqlite.writer")
    private let memo = WriterMemo()
    private let retention: EventRetention
    /// Rows in the `event` table (progress is kept apart); only written on the pool's writer queue.
    private let eventRows: Mutex<Int>

    /// Opens (creating if needed) the database at `path`, migrates it to the current schema, and
    /// encodes every row again if they were written with another `encoding.version`.
    public init(path: String, encoding: DownloadEncoding, eventRetention: EventRetention = EventRetention()) throws {
        var configuration = Configuration()
        configuration.label = "torrus"
        // A writer waiting on a checkpoint or another process should wait, not fail.
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        configuration.writeTargetQueue = writer.queue
        pool = try DatabasePool(path: path, configuration: configuration)
        self.encoding = encoding
        retention = eventRetention
        try Self.migrator.migrate(pool)
        try Self.reencodeIfNeeded(pool, encoding)
        let (last, rows) = try pool.write { db in
            let last = try Self.storedSequence(db)
            let rows = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0
            return (last, try Self.pruneEvents(db, last: last, rows: rows, retention: eventRetention, slack: 0))
        }
        sequence = Mutex(last)
        eventRows = Mutex(rows)
    }

    public func reportCommits(to listener: @escaping CommitListener) {
        self.listener.set(listener)
    }

    public func lastSequence() -> Int64 { sequence.withLock { $0 } }

    public var writerExecutor: (any TaskExecutor)? { writer }

    /// SQLite's `synchronous` setting of the writer (1 is NORMAL).
    func synchronousMode() throws -> Int {
        try pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// Folds the write-ahead log into the database file and closes it; pending writes have
    /// completed when this returns. GRDB keeps the WAL file itself (persistent WAL), empty.
    public func close() throws {
        try pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try pool.close()
    }

    public func get(_ id: UUID) async throws -> Download? {
        try await pool.read { db in try DownloadRow.fetch(id: id, db) }
    }

    public func list() async throws -> [Download] {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT \(DownloadRow.columns) FROM download ORDER BY createdAt, id")
            return try DownloadRow.fetchAll(statement)
        }
    }

    /// In the `setting` table, one integer row each; a missing row is "never set".
    public func globalSettings() async throws -> GlobalSettings {
        try await pool.read { db in
            func value(_ key: String) throws -> Int64? {
                try Int64.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: ["global." + key])
            }
            return GlobalSettings(
                maxDownloadLimit: try value("maxDownloadLimit"),
                maxUploadLimit: try value("maxUploadLimit"),
                maxConcurrentDownloads: try value("maxConcurrentDownloads").map { Int($0) }
            )
        }
    }

    public func saveGlobalSettings(_ settings: GlobalSettings) async throws {
        try await pool.write { db in
            let values: [(String, Int64?)] = [
                ("maxDownloadLimit", settings.maxDownloadLimit), ("maxUploadLimit", settings.maxUploadLimit),
                ("maxConcurrentDownloads", settings.maxConcurrentDownloads.map { Int64($0) }),
            ]
            for (key, value) in values {
                if let value {
                    try db.execute(
                        sql: "INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        arguments: ["global." + key, value]
                    )
                } else {
                    try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: ["global." + key])
                }
            }
        }
    }

    public func countByCategory() async throws -> [String: Int] {
        try await pool.read { db in
            // Served by the category index.
            let rows = try Row.fetchAll(db, sql: "SELECT category, COUNT(*) FROM download WHERE category IS NOT NULL GROUP BY category")
            return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] as String, $0[1] as Int) })
        }
    }

    public func countByStatus() async throws -> [DownloadStatus: Int] {
        try await pool.read { db in
            // Served by the status index: no row is read, however many there are.
            let rows = try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM download GROUP BY status")
            var counts: [DownloadStatus: Int] = [:]
            for row in rows {
                guard let status = DownloadStatus(rawValue: row[0]) else { throw RepoError.corruptRow("status \(row[0] as String)") }
                counts[status] = row[1]
            }
            return counts
        }
    }

    public func representation(of id: UUID) async throws -> [UInt8]? {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT json FROM download WHERE id = ?")
            return try Row.firstBytes(statement, arguments: [id.uuidString])
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
                items.append(try row.bytes(atIndex: 2))
                last = ListPosition(createdAt: row[0], id: row[1])
            }
            return RepresentationPage(items: items, last: last)
        }
    }

    public func find(fingerprint: String) async throws -> Download? {
        try await pool.read { db in try DownloadRow.fetch(fingerprint: fingerprint, db) }
    }

    public func find(gid: GID) async throws -> Download? {
        try await pool.read { db in try DownloadRow.fetch(gid: gid, db) }
    }

    public func find(gids: [GID]) async throws -> [Download] {
        try await pool.read { db in try gids.compactMap { try DownloadRow.fetch(gid: $0, db) } }
    }

    public func find(infoHashes: [String]) async throws -> [Download] {
        try await pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT \(DownloadRow.columns) FROM download WHERE infoHash = ?")
            var found: [Download] = []
            for hash in Set(infoHashes) {
                statement.arguments = [hash]
                found += try DownloadRow.fetchAll(statement)
            }
            return found
        }
    }

    public func upload(of id: UUID) async throws -> [UInt8]? {
        try await pool.read { db in
            try Row.firstBytes(db.cachedStatement(sql: "SELECT bytes FROM downloadUpload WHERE download = ?"), arguments: [id.uuidString])
        }
    }

    public func unfinished() async throws -> [Download] {
        try await pool.read { db in
            // The status index keeps this small read small however many finished downloads the
            // store holds.
            let statement = try db.cachedStatement(
                sql: "SELECT \(DownloadRow.columns) FROM download WHERE status IN ('Queued', 'Active', 'Paused') ORDER BY createdAt, id"
            )
            return try DownloadRow.fetchAll(statement)
        }
    }

    public func insert(_ download: Download, upload: [UInt8]?) async throws -> InsertOutcome {
        try await write { db, changes in
            if let existing = try DownloadRow.fetch(fingerprint: download.fingerprint, db) { return .existing(existing) }
            if try DownloadRow.fetch(id: download.id, db) != nil { throw RepoError.duplicateID(download.id) }
            if let gid = download.gid, try DownloadRow.fetch(gid: gid, db) != nil { throw RepoError.duplicateGID(gid) }
            let json = self.encoding.encode(download)
            try DownloadRow.insert(download, json: json, db)
            if let upload {
                try db.cachedStatement(sql: "INSERT INTO downloadUpload (download, bytes) VALUES (?, ?)")
                    .execute(arguments: [download.id.uuidString, Data(upload)])
            }
            changes.append(.change(.created(download), json))
            return .inserted(download)
        }
    }

    public func update(
        _ id: UUID,
        _ mutate: @escaping @Sendable (inout Download) throws -> Void
    ) async throws -> DownloadUpdate? {
        try await write { db, changes in
            guard let old = try DownloadRow.fetch(id: id, db) else { return nil }
            let update = DownloadUpdate(old: old, new: try applying(mutate, to: old, now: .nowMilliseconds()))
            if update.changed {
                if let gid = update.new.gid, gid != old.gid, try DownloadRow.fetch(gid: gid, db) != nil {
                    throw RepoError.duplicateGID(gid)
                }
                changes.append(.change(.updated(old: old, new: update.new), try self.store(update, db)))
            }
            return update
        }
    }

    public func update(byGID edits: [GIDEdit]) async throws -> [DownloadUpdate] {
        try await write { db, changes in
            var batch = GIDBatch(now: .nowMilliseconds())
            for edit in edits {
                try batch.apply(edit) { gid in
                    // Looked up before this transaction writes anything: committed state.
                    if let known = self.memo.download(gid) { return known }
                    let stored = try DownloadRow.fetch(gid: gid, db)
                    if let stored { self.memo.remember(stored) }
                    return stored
                }
            }
            let updates = batch.updates
            // A GID that moved from one row to another within the batch must be free before
            // either row is written: the column is unique.
            for update in updates where update.new.gid != update.old.gid {
                try db.cachedStatement(sql: "UPDATE download SET gid = NULL WHERE id = ?").execute(arguments: [update.old.id.uuidString])
            }
            for update in updates {
                changes.append(.change(.updated(old: update.old, new: update.new), try self.store(update, db)))
            }
            return updates
        }
    }

    public func delete(_ id: UUID) async throws -> Download? {
        try await write { db, changes in
            guard let old = try DownloadRow.fetch(id: id, db) else { return nil }
            try db.cachedStatement(sql: "DELETE FROM download WHERE id = ?").execute(arguments: [id.uuidString])
            changes.append(.change(.deleted(old), nil))
            return old
        }
    }

    /// Writes the new value of an existing row with its representation, which it returns.
    private func store(_ update: DownloadUpdate, _ db: Database) throws -> [UInt8] {
        let json = encoding.encode(update.new)
        let tagsChanged = update.new.tags != update.old.tags
        let settingsChanged = update.new.options != update.old.options || update.new.category != update.old.category || tagsChanged
        try DownloadRow.update(
            update.new,
            json: json,
            nameChanged: update.new.name != update.old.name,
            filesChanged: update.new.files != update.old.files,
            settingsChanged: settingsChanged,
            tagsChanged: tagsChanged,
            db
        )
        return json
    }

    public func logDownloaderEvent(_ type: EventType) async throws {
        try await write { _, entries in entries.append(.downloader(type)) }
    }

    public func events(after position: Int64, limit: Int) async throws -> EventLogPage {
        try await pool.read { db in
            // The log and each download's latest progress, merged in sequence order (both are read
            // in that order from their indexes).
            let statement = try db.cachedStatement(
                sql: """
                    SELECT sequence, type, download, at, data FROM event WHERE sequence > ?1
                    UNION ALL SELECT sequence, 'download.progress', download, at, data FROM progressEvent WHERE sequence > ?1
                    ORDER BY sequence LIMIT ?2
                    """
            )
            statement.arguments = [position, limit]
            var events: [LoggedEvent] = []
            let rows = try Row.fetchCursor(statement)
            while let row = try rows.next() {
                guard let type = EventType(rawValue: row[1]) else { throw RepoError.corruptRow("event type \(row[1] as String)") }
                let download: String? = row[2]
                events.append(
                    LoggedEvent(
                        sequence: row[0],
                        type: type,
                        downloadID: download.flatMap { UUID(text: $0) },
                        at: row[3],
                        data: try row.bytes(atIndex: 4)
                    )
                )
            }
            let last = try Self.storedSequence(db)
            return EventLogPage(events: events, oldest: try Self.eventsFrom(db), last: last)
        }
    }

    /// What a write transaction did, before it is numbered.
    private enum Uncommitted {
        /// A change with the new representation (nil for a deletion).
        case change(DownloadChange, [UInt8]?)
        case downloader(EventType)
    }

    /// One write transaction. `body` lists the changes it made (with their new representation);
    /// they are numbered and logged as events inside the transaction, and reported to the listener
    /// once it has committed, still on the writer queue, so reports come in commit order.
    private func write<T: Sendable>(
        _ body: @escaping @Sendable (Database, inout [Uncommitted]) throws -> T
    ) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            var result: T?
            var committed: [CommittedChange] = []
            try db.inTransaction(.immediate) {
                var entries: [Uncommitted] = []
                result = try body(db, &entries)
                guard !entries.isEmpty else { return .commit }
                let first = self.sequence.withLock { $0 } + 1
                let at = Date.nowMicroseconds()
                var rows = self.eventRows.withLock { $0 }
                let insert = try db.cachedStatement(sql: "INSERT INTO event (sequence, type, download, at, data) VALUES (?, ?, ?, ?, ?)")
                // A download's progress replaces its previous progress: the log keeps the latest only.
                let progress = try db.cachedStatement(
                    sql: """
                        INSERT INTO progressEvent (download, sequence, at, data) VALUES (?, ?, ?, ?)
                        ON CONFLICT (download) DO UPDATE SET sequence = excluded.sequence, at = excluded.at, data = excluded.data
                        """
                )
                for (offset, entry) in entries.enumerated() {
                    let sequence = first + Int64(offset)
                    let numbered: CommittedChange =
                        switch entry {
                        case .change(let change, let json): CommittedChange(sequence: sequence, change: change, representation: json, at: at)
                        case .downloader(let type): .downloaderEvent(type, sequence: sequence, at: at)
                        }
                    let event = numbered.event
                    let download = event.downloadID?.lowercasedString
                    if event.type == .downloadProgress {
                        try progress.execute(arguments: [download, event.sequence, at, Data(event.data)])
                    } else {
                        try insert.execute(arguments: [event.sequence, event.type.rawValue, download, at, Data(event.data)])
                        rows += 1
                    }
                    if event.type == .downloadDeleted {
                        try db.cachedStatement(sql: "DELETE FROM progressEvent WHERE download = ?").execute(arguments: [download])
                    }
                    committed.append(numbered)
                }
                let last = first + Int64(entries.count) - 1
                try db.cachedStatement(
                    sql: "INSERT INTO setting (key, value) VALUES ('sequence', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ).execute(arguments: [last])
                // Now and then, not on every write: pruning reads the oldest events.
                let every = self.pruneEvery
                if last / every != (first - 1) / every || rows > self.retention.count + Int(every) {
                    rows = try Self.pruneEvents(db, last: last, rows: rows, retention: self.retention, slack: Int(every))
                }
                self.eventRows.withLock { $0 = rows }
                return .commit
            }
            if let last = committed.last {
                self.memo.committed(committed.compactMap(\.change))
                self.listener.report(committed)
                // Only once the listener knows: `lastSequence` is never ahead of what it was told
                // (a list labelled with it would claim changes its cached copy lacks).
                self.sequence.withLock { $0 = last.sequence }
            }
            return result!
        }
    }

    /// Every how many events the log is pruned: a tenth of what it keeps, at most 1000.
    private var pruneEvery: Int64 { Int64(max(1, min(1000, retention.count / 10))) }

    private static func storedSequence(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM setting WHERE key = 'sequence'")) ?? 0
    }

    /// Drops the events beyond the retention: all but the newest `count` (and those a webhook target
    /// still needs), and those older than `age`. Both are prefixes of the log (events are numbered in commit order), so this reads
    /// only the rows it drops.
    /// `rows` is how many the `event` table holds; the count is pruned once it exceeds the
    /// retention by more than `slack` (finding the boundary reads `count` index entries). Returns
    /// how many rows are left.
    private static func pruneEvents(_ db: Database, last: Int64, rows: Int, retention: EventRetention, slack: Int) throws -> Int {
        let age = retention.age.components
        let cutoff = Date.nowMicroseconds() - age.seconds * 1_000_000 - age.attoseconds / 1_000_000_000_000
        let firstYoung = try Int64.fetchOne(db, sql: "SELECT sequence FROM event WHERE at >= ? ORDER BY sequence LIMIT 1", arguments: [cutoff])
        // Progress is not counted: the log holds one per download at most.
        var keepByCount: Int64 = 1
        if rows > retention.count + slack {
            keepByCount =
                try Int64.fetchOne(db, sql: "SELECT sequence FROM event ORDER BY sequence DESC LIMIT 1 OFFSET ?", arguments: [retention.count - 1])
                ?? 1
        }
        // Not the events a webhook target still has to be sent (unless it is paused): the count
        // gives way to them, the age does not.
        if let owed = try Int64.fetchOne(db, sql: "SELECT MIN(deliveredThrough) FROM webhook WHERE paused = 0") {
            keepByCount = min(keepByCount, owed + 1)
        }
        let firstYoungProgress = try Int64.fetchOne(db, sql: "SELECT MIN(sequence) FROM progressEvent WHERE at >= ?", arguments: [cutoff])
        let keepFrom = max(min(firstYoung ?? last + 1, firstYoungProgress ?? last + 1), keepByCount)
        guard keepFrom > (try eventsFrom(db)) else { return rows }
        try db.execute(sql: "DELETE FROM event WHERE sequence < ?", arguments: [keepFrom])
        let left = rows - db.changesCount
        try db.execute(sql: "DELETE FROM progressEvent WHERE sequence < ?", arguments: [keepFrom])
        try db.execute(
            sql: "INSERT INTO setting (key, value) VALUES ('eventsFrom', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [keepFrom]
        )
        return left
    }

    /// The first sequence number the log can still tell about: everything before it was pruned.
    /// (Kept, not derived from the rows: a superseded progress event leaves a gap that is not a loss.)
    private static func eventsFrom(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM setting WHERE key = 'eventsFrom'")) ?? 1
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: downloads") { db in
            try db.create(table: "download") { table in
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
            try db.create(index: "download_order", on: "download", columns: ["createdAt", "id"])
        }
        migrator.registerMigration("v2: stored representation") { db in
            // Filled by `reencodeIfNeeded` right after migrating (a migration cannot know the encoding).
            try db.alter(table: "download") { table in table.add(column: "json", .blob) }
            try db.create(table: "setting") { table in
                table.primaryKey("key", .text)
                table.column("value", .integer).notNull()
            }
        }
        migrator.registerMigration("v3: status index") { db in
            try db.create(index: "download_status", on: "download", columns: ["status"])
        }
        migrator.registerMigration("v4: event log") { db in
            // `sequence` is the rowid: events are appended and read in its order.
            try db.create(table: "event") { table in
                table.column("sequence", .integer).primaryKey()
                table.column("type", .text).notNull()
                table.column("download", .text)
                table.column("at", .integer).notNull()
                table.column("data", .blob).notNull()
            }
        }
        migrator.registerMigration("v5: webhooks") { db in
            try db.create(table: "webhook") { table in
                table.primaryKey("id", .text)
                table.column("url", .text).notNull()
                table.column("types", .text).notNull()
                table.column("downloads", .text).notNull()
                // Stored as given: Torrus signs with it. The data directory is torrusd's alone.
                table.column("secret", .text).notNull()
                table.column("origin", .text).notNull()
                table.column("paused", .boolean).notNull()
                table.column("pausedReason", .text)
                table.column("createdAt", .integer).notNull()
                table.column("deliveredThrough", .integer).notNull()
            }
            try db.create(table: "webhookAttempt") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("webhook", .text).notNull().references("webhook", onDelete: .cascade)
                table.column("messageID", .text).notNull()
                table.column("sequence", .integer)
                table.column("eventType", .text).notNull()
                table.column("download", .text)
                table.column("attempt", .integer).notNull()
                table.column("at", .integer).notNull()
                table.column("statusCode", .integer)
                table.column("error", .text)
                table.column("durationMicroseconds", .integer).notNull()
                table.column("outcome", .text).notNull()
            }
            try db.create(index: "webhookAttempt_webhook", on: "webhookAttempt", columns: ["webhook", "id"])
        }
        migrator.registerMigration("v6: latest progress only") { db in
            // Progress was most of the log (one event per active download a second) and crowded
            // out the events that matter within the retention count.
            try db.create(table: "progressEvent") { table in
                table.primaryKey("download", .text)
                table.column("sequence", .integer).notNull()
                table.column("at", .integer).notNull()
                table.column("data", .blob).notNull()
            }
            try db.create(index: "progressEvent_sequence", on: "progressEvent", columns: ["sequence"])
            try db.execute(
                sql: """
                    INSERT INTO setting (key, value) VALUES ('eventsFrom', COALESCE(
                        (SELECT MIN(sequence) FROM event), (SELECT value + 1 FROM setting WHERE key = 'sequence'), 1))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value;
                    INSERT INTO progressEvent (download, sequence, at, data)
                        SELECT download, sequence, at, data FROM event WHERE sequence IN
                            (SELECT MAX(sequence) FROM event WHERE type = 'download.progress' GROUP BY download);
                    DELETE FROM event WHERE type = 'download.progress';
                    """
            )
        }
        migrator.registerMigration("v7: mirrors, options, category, tags") { db in
            try db.alter(table: "download") { table in
                table.add(column: "mirrors", .text)
                table.add(column: "options", .text)
                table.add(column: "category", .text)
                table.add(column: "tags", .text)
            }
            // Lists filtered by category (issue 9) read in list order from here.
            try db.create(index: "download_category", on: "download", columns: ["category", "createdAt", "id"])
        }
        migrator.registerMigration("v8: read model") { db in
            try db.alter(table: "download") { table in
                table.add(column: "uploadedLength", .integer).notNull().defaults(to: 0)
                table.add(column: "connections", .integer).notNull().defaults(to: 0)
                table.add(column: "numSeeders", .integer)
                table.add(column: "seeding", .boolean).notNull().defaults(to: false)
                table.add(column: "completedAt", .integer)
            }
            // When they completed was not kept: their last change is the closest known time.
            try db.execute(sql: "UPDATE download SET completedAt = updatedAt WHERE status = 'Complete'")
        }
        migrator.registerMigration("v9: uploads") { db in
            try db.alter(table: "download") { table in table.add(column: "upload", .text) }
            // Apart from the row: read only when the file goes to aria2, never by a list or a progress write.
            try db.create(table: "downloadUpload") { table in
                table.primaryKey("download", .text).references("download", onDelete: .cascade)
                table.column("bytes", .blob).notNull()
            }
        }
        migrator.registerMigration("v10: tag index") { db in
            // Issue 9's list pages: a `tag=` page read the downloads in list order and parsed
            // each one's tags (json_each) until the page was full, thousands of rows for a tag
            // on a few percent of them. One row per tag of a download, in list order within the
            // tag, is the page itself. `createdAt` is the row's, which is never rewritten.
            try db.execute(
                sql: """
                    CREATE TABLE downloadTag (
                        tag TEXT NOT NULL,
                        createdAt INTEGER NOT NULL,
                        download TEXT NOT NULL REFERENCES download (id) ON DELETE CASCADE,
                        PRIMARY KEY (tag, createdAt, download)
                    ) WITHOUT ROWID;
                    CREATE INDEX downloadTag_download ON downloadTag (download, tag);
                    INSERT OR IGNORE INTO downloadTag (tag, createdAt, download)
                        SELECT json_each.value, download.createdAt, download.id FROM download, json_each(download.tags)
                        WHERE download.tags IS NOT NULL AND json_valid(download.tags);
                    """
            )
        }
        migrator.registerMigration("v11: category defaults") { db in
            try db.create(table: "category") { table in
                table.primaryKey("name", .text)
                table.column("targetPath", .text).notNull()
            }
        }
        migrator.registerMigration("v12: status and name order") { db in
            // `status=` pages sorted every download of the status (the index had no order), and
            // `sort=name` pages sorted the whole table: both now read in page order.
            try db.execute(
                sql: """
                    DROP INDEX download_status;
                    CREATE INDEX download_status ON download (status, createdAt, id);
                    CREATE INDEX download_name ON download (COALESCE(name, ''), id);
                    """
            )
        }
        migrator.registerMigration("v13: text index") { db in
            // `q=` read the list in order until the page was full: a term in few downloads, or
            // in none, read all of them (~40–80 ms at 100,000). A trigram index of each
            // download's name and source answers which downloads may match; the page query
            // asks it first (`SQLiteDownloadRepo+Query`). Its rows are keyed by
            // `downloadTextKey.key`, an explicit INTEGER PRIMARY KEY that VACUUM keeps (it may
            // renumber `download`'s implicit rowids). Triggers keep both in step with every write.
            // The indexed text is the name and the source on two lines.
            try db.execute(
                sql: """
                    CREATE TABLE downloadTextKey (key INTEGER PRIMARY KEY, download TEXT NOT NULL UNIQUE);
                    CREATE VIRTUAL TABLE downloadText USING fts5(text, tokenize = 'trigram');
                    INSERT INTO downloadTextKey (download) SELECT id FROM download ORDER BY createdAt, id;
                    INSERT INTO downloadText (rowid, text)
                        SELECT downloadTextKey.key, COALESCE(download.name, '') || char(10) || download.source
                        FROM downloadTextKey JOIN download ON download.id = downloadTextKey.download;
                    CREATE TRIGGER download_text_insert AFTER INSERT ON download BEGIN
                        INSERT INTO downloadTextKey (download) VALUES (new.id);
                        INSERT INTO downloadText (rowid, text) VALUES (last_insert_rowid(), COALESCE(new.name, '') || char(10) || new.source);
                    END;
                    CREATE TRIGGER download_text_update AFTER UPDATE OF name, source ON download
                        WHEN old.name IS NOT new.name OR old.source IS NOT new.source BEGIN
                        UPDATE downloadText SET text = COALESCE(new.name, '') || char(10) || new.source
                            WHERE rowid = (SELECT key FROM downloadTextKey WHERE download = new.id);
                    END;
                    CREATE TRIGGER download_text_delete AFTER DELETE ON download BEGIN
                        DELETE FROM downloadText WHERE rowid = (SELECT key FROM downloadTextKey WHERE download = old.id);
                        DELETE FROM downloadTextKey WHERE download = old.id;
                    END;
                    """
            )
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
            let read = try db.makeStatement(sql: "SELECT \(DownloadRow.columns) FROM download WHERE id > ? ORDER BY id LIMIT 1000")
            var after = ""
            while true {
                read.arguments = [after]
                let batch = try DownloadRow.fetchAll(read)
                guard let last = batch.last else { break }
                for download in batch {
                    try write.execute(arguments: [Data(encoding.encode(download)), download.id.uuidString])
                }
                after = last.id.uuidString
            }
            try db.execute(
                sql: "INSERT INTO setting (key, value) VALUES ('encodingVersion', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [encoding.version]
            )
        }
    }
}
