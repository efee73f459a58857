import Foundation

/// Development and test store: everything in one actor, gone when the process ends.
public actor InMemoryDownloadRepo: DownloadRepo {
    private var byID: [UUID: Download] = [:]
    private var idByFingerprint: [String: UUID] = [:]
    private var idByGID: [GID: UUID] = [:]

    public init() {}

    public func get(_ id: UUID) -> Download? { byID[id] }

    public func list() -> [Download] {
        byID.values.sorted { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) }
    }

    public func find(fingerprint: String) -> Download? { idByFingerprint[fingerprint].flatMap { byID[$0] } }

    public func find(gid: GID) -> Download? { idByGID[gid].flatMap { byID[$0] } }

    public func find(gids: [GID]) -> [Download] { gids.compactMap { find(gid: $0) } }

    public func insert(_ download: Download) throws -> InsertOutcome {
        if let existing = find(fingerprint: download.fingerprint) { return .existing(existing) }
        guard byID[download.id] == nil else { throw RepoError.duplicateID(download.id) }
        if let gid = download.gid, idByGID[gid] != nil { throw RepoError.duplicateGID(gid) }
        store(download, replacing: nil)
        return .inserted(download)
    }

    public func update(_ id: UUID, _ mutate: @escaping @Sendable (inout Download) throws -> Void) throws -> DownloadUpdate? {
        guard let old = byID[id] else { return nil }
        let new = try applying(mutate, to: old, now: .nowMilliseconds())
        if new.gid != old.gid, let gid = new.gid, idByGID[gid] != nil { throw RepoError.duplicateGID(gid) }
        store(new, replacing: old)
        return DownloadUpdate(old: old, new: new)
    }

    public func updateEach(_ ids: [UUID], _ mutate: @escaping @Sendable (inout Download) -> Void) throws -> [DownloadUpdate] {
        try ids.compactMap { try update($0, mutate) }.filter(\.changed)
    }

    public func delete(_ id: UUID) -> Download? {
        guard let old = byID.removeValue(forKey: id) else { return nil }
        idByFingerprint[old.fingerprint] = nil
        if let gid = old.gid { idByGID[gid] = nil }
        return old
    }

    private func store(_ new: Download, replacing old: Download?) {
        if let oldGID = old?.gid, oldGID != new.gid { idByGID[oldGID] = nil }
        byID[new.id] = new
        idByFingerprint[new.fingerprint] = new.id
        if let gid = new.gid { idByGID[gid] = new.id }
    }
}
