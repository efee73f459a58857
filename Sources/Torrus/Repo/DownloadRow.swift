import Foundation
import GRDB

/// How a download is stored in SQLite's `download` table, read and written column by column
/// through cached statements. Timestamps are integer milliseconds, so values read back equal
/// values written and ordering needs no date parsing; `files` is JSON text; `json` is the
/// stored representation (`DownloadEncoding`).
enum DownloadRow {
    /// Every column but `json`, in the order `decode` reads them.
    static let columns = """
        id, gid, source, targetPath, fingerprint, name, files, status, desiredStatus, completedLength, totalLength, \
        downloadSpeed, uploadSpeed, errorCode, errorMessage, infoHash, createdAt, updatedAt, mirrors, options, category, tags, \
        uploadedLength, connections, numSeeders, seeding, completedAt, upload
        """

    static func fetch(id: UUID, _ db: Database) throws -> Download? {
        try fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM download WHERE id = ?"), id.uuidString)
    }

    static func fetch(gid: GID, _ db: Database) throws -> Download? {
        try fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM download WHERE gid = ?"), gid.rawValue)
    }

    static func fetch(fingerprint: String, _ db: Database) throws -> Download? {
        try fetchOne(db.cachedStatement(sql: "SELECT \(columns) FROM download WHERE fingerprint = ?"), fingerprint)
    }

    static func fetchAll(_ statement: Statement) throws -> [Download] {
        var downloads: [Download] = []
        let rows = try Row.fetchCursor(statement)
        while let row = try rows.next() { downloads.append(try decode(row)) }
        return downloads
    }

    static func insert(_ download: Download, json: [UInt8], _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT INTO download (\(columns), json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        try statement.execute(arguments: StatementArguments(values(download) + [Data(json)]))
        try insertTags(of: download, db)
    }

    /// The `downloadTag` rows of `download` (v10), with the `createdAt` of its stored row: what a
    /// `tag=` page reads in list order. Kept in the transaction that writes the row; a deleted
    /// row's go with it (`ON DELETE CASCADE`).
    private static func insertTags(of download: Download, _ db: Database) throws {
        guard !download.tags.isEmpty else { return }
        let statement = try db.cachedStatement(
            sql: "INSERT OR IGNORE INTO downloadTag (tag, createdAt, download) SELECT ?, createdAt, id FROM download WHERE id = ?"
        )
        for tag in download.tags { try statement.execute(arguments: [tag, download.id.uuidString]) }
    }

    /// Writes the columns of an existing row that can change, `files` only when `filesChanged`
    /// (encoding them is most of a progress write otherwise), options, category and tags only
    /// when `settingsChanged`, `name` only when `nameChanged` (a statement that sets it runs the
    /// text index's trigger, v13: ~10 % of a progress flush when every write set it).
    /// `tagsChanged`: the `downloadTag` rows are written again too.
    static func update(
        _ download: Download,
        json: [UInt8],
        nameChanged: Bool,
        filesChanged: Bool,
        settingsChanged: Bool,
        tagsChanged: Bool,
        _ db: Database
    ) throws {
        let name = nameChanged ? "name = ?, " : ""
        let files = filesChanged ? "files = ?, " : ""
        let settings = settingsChanged ? "options = ?, category = ?, tags = ?, " : ""
        let statement = try db.cachedStatement(
            sql: """
                UPDATE download SET gid = ?, \(name)\(files)\(settings)status = ?, desiredStatus = ?, completedLength = ?, \
                totalLength = ?, downloadSpeed = ?, uploadSpeed = ?, uploadedLength = ?, connections = ?, numSeeders = ?, \
                seeding = ?, errorCode = ?, errorMessage = ?, infoHash = ?, updatedAt = ?, completedAt = ?, json = ? WHERE id = ?
                """
        )
        var arguments: [(any DatabaseValueConvertible)?] = [download.gid?.rawValue]
        if nameChanged { arguments.append(download.name) }
        if filesChanged { arguments.append(filesText(download.files)) }
        if settingsChanged { arguments += [try optionsText(download.options), download.category, try jsonText(download.tags)] }
        arguments += [
            download.status.rawValue, download.desiredStatus.rawValue, download.progress.completedLength,
            download.progress.totalLength, download.progress.downloadSpeed, download.progress.uploadSpeed,
            download.progress.uploadedLength, download.progress.connections, download.progress.numSeeders, download.progress.seeding,
            download.error.map { String($0.code) }, download.error?.message, download.infoHash,
            download.updatedAt.millisecondsSince1970, download.completedAt?.millisecondsSince1970, Data(json), download.id.uuidString,
        ]
        try statement.execute(arguments: StatementArguments(arguments))
        if tagsChanged {
            try db.cachedStatement(sql: "DELETE FROM downloadTag WHERE download = ?").execute(arguments: [download.id.uuidString])
            try insertTags(of: download, db)
        }
    }

    /// The files as JSON, written by hand and short: `index` only when it is not the file's
    /// position + 1 and `selected` only when false — the usual file is stored as it was before
    /// either was kept, and decodes to the same values as a row from then (`DownloadFile.numbered`).
    static func filesText(_ files: [DownloadFile]) -> String {
        guard !files.isEmpty else { return "[]" }
        var out: [UInt8] = []
        out.reserveCapacity(files.count * 80)
        out.append(UInt8(ascii: "["))
        for (position, file) in files.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"path":"#.utf8)
            JSONText.string(file.path, to: &out)
            out.append(contentsOf: #","length":"#.utf8)
            JSONText.number(file.length, to: &out)
            out.append(contentsOf: #","completed":"#.utf8)
            JSONText.number(file.completed, to: &out)
            if file.index != position + 1 {
                out.append(contentsOf: #","index":"#.utf8)
                JSONText.number(Int64(file.index), to: &out)
            }
            if !file.selected { out.append(contentsOf: #","selected":false"#.utf8) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Mirrors, options and tags as JSON text; rarely set, so the empty ones are short constants.
    private static func jsonText(_ value: some Encodable & Equatable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    /// `{}` when none is set (the encoder would write the empty header list).
    private static func optionsText(_ options: DownloadOptions) throws -> String {
        options.isEmpty ? "{}" : try jsonText(options)
    }

    private static func decodeJSON<T: Decodable>(_ type: T.Type, _ row: Row, _ index: Int, empty: T) throws -> T {
        try row.withUnsafeData(atIndex: index) { data in
            // NULL (a row from before v7), `[]` or `{}`: nearly every row, no decoder needed.
            guard let data, data.count > 2 else { return empty }
            return try JSONDecoder().decode(T.self, from: data)
        }
    }

    /// Shared by every store in the process: entries are checked against the stored bytes, so
    /// one can never answer for another row.
    private static let filesMemo = FilesMemo(capacity: 10_000)

    private static func fetchOne(_ statement: Statement, _ key: String) throws -> Download? {
        statement.arguments = [key]
        let rows = try Row.fetchCursor(statement)
        guard let row = try rows.next() else { return nil }
        return try decode(row)
    }

    private static func values(_ download: Download) throws -> [(any DatabaseValueConvertible)?] {
        [
            download.id.uuidString,
            download.gid?.rawValue,
            download.source,
            download.targetPath,
            download.fingerprint,
            download.name,
            filesText(download.files),
            download.status.rawValue,
            download.desiredStatus.rawValue,
            download.progress.completedLength,
            download.progress.totalLength,
            download.progress.downloadSpeed,
            download.progress.uploadSpeed,
            download.error.map { String($0.code) },
            download.error?.message,
            download.infoHash,
            download.createdAt.millisecondsSince1970,
            download.updatedAt.millisecondsSince1970,
            try jsonText(download.mirrors),
            try optionsText(download.options),
            download.category,
            try jsonText(download.tags),
            download.progress.uploadedLength,
            download.progress.connections,
            download.progress.numSeeders,
            download.progress.seeding,
            download.completedAt?.millisecondsSince1970,
            try download.upload.map(jsonText),
        ]
    }

    /// Rows are only written by this type, so an unreadable value means a damaged file: report
    /// it as such instead of inventing a value.
    private static func decode(_ row: Row) throws -> Download {
        let id: String = row[0]
        guard let uuid = UUID(text: id), let status = DownloadStatus(rawValue: row[7]),
            let desired = DesiredStatus(rawValue: row[8])
        else { throw RepoError.corruptRow(id) }
        var gid: GID?
        if let raw = row[1] as String? {
            guard let value = GID(rawValue: raw) else { throw RepoError.corruptRow(id) }
            gid = value
        }
        let files: [DownloadFile]
        do {
            files = try row.withUnsafeData(atIndex: 6) { data in
                guard let data, data.count > 2 else { return [] }  // "[]": no files known yet
                return try filesMemo.files(of: id, text: data)
            }
        } catch {
            throw RepoError.corruptRow(id)
        }
        let errorCode: String? = row[13]
        let mirrors: [String]
        let options: DownloadOptions
        let tags: [String]
        let upload: DownloadUpload?
        do {
            mirrors = try decodeJSON([String].self, row, 18, empty: [])
            options = try decodeJSON(DownloadOptions.self, row, 19, empty: DownloadOptions())
            tags = try decodeJSON([String].self, row, 21, empty: [])
            upload = try decodeJSON(DownloadUpload?.self, row, 27, empty: nil)
        } catch {
            throw RepoError.corruptRow(id)
        }
        return Download(
            id: uuid,
            gid: gid,
            source: row[2],
            targetPath: row[3],
            fingerprint: row[4],
            name: row[5],
            files: files,
            status: status,
            desiredStatus: desired,
            progress: DownloadProgress(
                completedLength: row[9],
                totalLength: row[10],
                downloadSpeed: row[11],
                uploadSpeed: row[12],
                uploadedLength: row[22],
                connections: row[23],
                numSeeders: row[24],
                seeding: row[25]
            ),
            // Rows written before codes were numbers may hold a word: 13 is aria2's "file exists".
            error: errorCode.map { DownloadFailure(code: Int($0) ?? ($0 == "torrus-payload-exists" ? 13 : 1), message: row[14] ?? "") },
            infoHash: row[15],
            mirrors: mirrors,
            options: options,
            category: row[20],
            tags: tags,
            upload: upload,
            createdAt: Date(millisecondsSince1970: row[16]),
            updatedAt: Date(millisecondsSince1970: row[17]),
            completedAt: (row[26] as Int64?).map { Date(millisecondsSince1970: $0) }
        )
    }
}
