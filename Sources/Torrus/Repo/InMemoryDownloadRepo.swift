import Foundation
import NIOCore
import Synchronization

/// Development and test store: everything in one actor, gone when the process ends (webhook
/// targets made through the API too). The actor
/// serialises writes; each reports its changes before it returns, so in commit order.
public actor InMemoryDownloadRepo: DownloadStore {
    private struct Entry {
        var download: Download
        var representation: [UInt8]
        var position: ListPosition
    }

    private let encoding: DownloadEncoding
    private var byID: [UUID: Entry] = [:]
    private var idByFingerprint: [String: UUID] = [:]
    private var idByGID: [GID: UUID] = [:]
    /// List order, kept sorted as downloads come and go (new ones almost always go last).
    private var order: [(position: ListPosition, id: UUID)] = []
    private var sequence: Int64 = 0
    private nonisolated let listener = CommitListenerSlot()
    /// The event log: the newest `eventCapacity` events, but progress, of which only each
    /// download's latest is kept (`progress`) — as in the SQLite store.
    private var events = CircularBuffer<LoggedEvent>()
    private var progress: [UUID: LoggedEvent] = [:]
    /// The first sequence number the log can still tell about (older ones were dropped).
    private var eventsFrom: Int64 = 1
    private let eventCapacity: Int
    /// Webhook targets and their recent attempts (`InMemoryDownloadRepo+Webhooks.swift`).
    var webhookTable = InMemoryWebhookTable()
    private var settings = GlobalSettings()
    private var uploads: [UUID: [UInt8]] = [:]
    private var categoryDefaults: [String: String] = [:]

    public func categoryPaths() -> [String: String] { categoryDefaults }

    @discardableResult
    public func setCategoryPath(_ name: String, to path: String?) -> Bool {
        let existed = categoryDefaults[name] != nil
        categoryDefaults[name] = path
        return existed
    }

    public func globalSettings() -> GlobalSettings { settings }

    public func saveGlobalSettings(_ settings: GlobalSettings) { self.settings = settings }

    public init(encoding: DownloadEncoding, eventCapacity: Int = 10_000) {
        self.encoding = encoding
        self.eventCapacity = max(1, eventCapacity)
    }

    public nonisolated func reportCommits(to listener: @escaping CommitListener) {
        self.listener.set(listener)
    }

    public func lastSequence() -> Int64 { sequence }

    public func get(_ id: UUID) -> Download? { byID[id]?.download }

    public func list() -> [Download] {
        order.compactMap { byID[$0.id]?.download }
    }

    public func countByCategory() -> [String: Int] {
        byID.values.reduce(into: [:]) { counts, entry in
            if let category = entry.download.category { counts[category, default: 0] += 1 }
        }
    }

    public func countByStatus() -> [DownloadStatus: Int] {
        byID.values.reduce(into: [:]) { counts, entry in counts[entry.download.status, default: 0] += 1 }
    }

    public func representation(of id: UUID) -> [UInt8]? { byID[id]?.representation }

    public func representations(after position: ListPosition?, limit: Int) -> RepresentationPage {
        let start = position.map { after in firstIndex { $0 > after } } ?? 0
        let slice = order[start..<min(order.count, start + max(limit, 0))]
        return RepresentationPage(items: slice.compactMap { byID[$0.id]?.representation }, last: slice.last?.position)
    }

    public func find(fingerprint: String) -> Download? { idByFingerprint[fingerprint].flatMap { byID[$0]?.download } }

    public func find(gid: GID) -> Download? { idByGID[gid].flatMap { byID[$0]?.download } }

    public func find(gids: [GID]) -> [Download] { gids.compactMap { find(gid: $0) } }

    public func find(infoHashes: [String]) -> [Download] {
        let wanted = Set(infoHashes)
        return list().filter { $0.infoHash.map(wanted.contains) ?? false }
    }

    public func unfinished() -> [Download] { list().filter { !$0.status.isTerminal } }

    public func upload(of id: UUID) -> [UInt8]? { uploads[id] }

    public func insert(_ download: Download, upload: [UInt8]?) throws -> InsertOutcome {
        if let existing = find(fingerprint: download.fingerprint) { return .existing(existing) }
        guard byID[download.id] == nil else { throw RepoError.duplicateID(download.id) }
        if let gid = download.gid, idByGID[gid] != nil { throw RepoError.duplicateGID(gid) }
        store(download, replacing: nil)
        uploads[download.id] = upload
        let position = ListPosition(download)
        order.insert((position, download.id), at: firstIndex { $0 > position })
        committed([.created(download)])
        return .inserted(download)
    }

    public func update(_ id: UUID, _ mutate: @escaping @Sendable (inout Download) throws -> Void) throws -> DownloadUpdate? {
        guard let old = byID[id]?.download else { return nil }
        let new = try applying(mutate, to: old, now: .nowMilliseconds())
        if new.gid != old.gid, let gid = new.gid, idByGID[gid] != nil { throw RepoError.duplicateGID(gid) }
        let update = DownloadUpdate(old: old, new: new)
        if update.changed {
            store(new, replacing: old)
            committed([.updated(old: old, new: new)])
        }
        return update
    }

    public func update(byGID edits: [GIDEdit]) -> [DownloadUpdate] {
        var batch = GIDBatch(now: .nowMilliseconds())
        for edit in edits {
            batch.apply(edit) { gid in idByGID[gid].flatMap { byID[$0]?.download } }
        }
        let updates = batch.updates
        // Old GIDs go first: within a batch one download may take the GID another one left.
        for update in updates { if let gid = update.old.gid { idByGID[gid] = nil } }
        for update in updates { store(update.new, replacing: nil) }
        committed(updates.map { .updated(old: $0.old, new: $0.new) })
        return updates
    }

    public func delete(_ id: UUID) -> Download? {
        guard let old = byID.removeValue(forKey: id) else { return nil }
        uploads[id] = nil
        idByFingerprint[old.download.fingerprint] = nil
        if let gid = old.download.gid { idByGID[gid] = nil }
        let index = firstIndex { $0 >= old.position }
        if index < order.count, order[index].id == id { order.remove(at: index) }
        committed([.deleted(old.download)])
        return old.download
    }

    public func logDownloaderEvent(_ type: EventType) {
        sequence += 1
        append([.downloaderEvent(type, sequence: sequence, at: Date.nowMicroseconds())])
    }

    public func events(after position: Int64, limit: Int) -> EventLogPage {
        let limit = max(limit, 0)
        // The ring is in sequence order: binary search for the first event after `position`.
        var low = events.startIndex
        var high = events.endIndex
        while low < high {
            let middle = events.index(low, offsetBy: events.distance(from: low, to: high) / 2)
            if events[middle].sequence <= position { low = events.index(after: middle) } else { high = middle }
        }
        let logged = events[low..<events.index(low, offsetBy: min(limit, events.distance(from: low, to: events.endIndex)))]
        // Progress older than the ring's start is as gone as the events before it.
        let latest = progress.values.filter { $0.sequence > max(position, eventsFrom - 1) }.sorted { $0.sequence < $1.sequence }.prefix(limit)
        let merged = (Array(logged) + latest).sorted { $0.sequence < $1.sequence }.prefix(limit)
        return EventLogPage(events: Array(merged), oldest: eventsFrom, last: sequence)
    }

    /// Numbers the changes of one write, logs their events and reports them.
    private func committed(_ changes: [DownloadChange]) {
        guard !changes.isEmpty else { return }
        let at = Date.nowMicroseconds()
        append(
            changes.map { change in
                sequence += 1
                return CommittedChange(sequence: sequence, change: change, representation: byID[change.download.id]?.representation, at: at)
            }
        )
    }

    private func append(_ numbered: [CommittedChange]) {
        for entry in numbered {
            let event = entry.event
            if event.type == .downloadProgress, let id = event.downloadID {
                progress[id] = event
                continue
            }
            if event.type == .downloadDeleted, let id = event.downloadID { progress[id] = nil }
            if events.count == eventCapacity { eventsFrom = events.removeFirst().sequence + 1 }
            events.append(event)
        }
        listener.report(numbered)
    }

    private func store(_ new: Download, replacing old: Download?) {
        if let oldGID = old?.gid, oldGID != new.gid { idByGID[oldGID] = nil }
        byID[new.id] = Entry(download: new, representation: encoding.encode(new), position: ListPosition(new))
        idByFingerprint[new.fingerprint] = new.id
        if let gid = new.gid { idByGID[gid] = new.id }
    }

    /// The first index in `order` whose position satisfies `predicate` (which must be false, then
    /// true, along the order): a binary search.
    private func firstIndex(where predicate: (ListPosition) -> Bool) -> Int {
        var low = 0
        var high = order.count
        while low < high {
            let middle = (low + high) / 2
            if predicate(order[middle].position) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
