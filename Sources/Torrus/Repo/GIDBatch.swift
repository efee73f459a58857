import Foundation

/// The edits of one `update(byGID:)` applied in memory, so a store writes each download once,
/// with its final value. Lookups see the batch's own edits first: a download whose GID an edit
/// changed is found under its new GID, and no longer under the old one, though the store still
/// has the old one until it writes.
struct GIDBatch {
    private let now: Date
    private var working: [UUID: DownloadUpdate] = [:]
    private var touched: [UUID] = []
    private var idByGID: [GID: UUID] = [:]

    init(now: Date) {
        self.now = now
    }

    /// Applies `edit` to the download `stored` finds under its GID (the store as it was before
    /// the batch). Skips an edit no download matches or that would take a GID already in use.
    mutating func apply(_ edit: GIDEdit, stored: (GID) throws -> Download?) rethrows {
        guard let current = try find(edit.gid, stored: stored) else { return }
        let new = applying(edit.mutate, to: current.new, now: now)
        if let gid = new.gid, gid != current.new.gid, try find(gid, stored: stored) != nil { return }
        if let old = current.new.gid { idByGID[old] = nil }
        if let gid = new.gid { idByGID[gid] = new.id }
        working[new.id]?.new = new
    }

    /// The downloads that changed: before the batch and after it, in the order first edited.
    var updates: [DownloadUpdate] {
        touched.compactMap { working[$0] }.filter(\.changed)
    }

    private mutating func find(_ gid: GID, stored: (GID) throws -> Download?) rethrows -> DownloadUpdate? {
        if let id = idByGID[gid] { return working[id] }
        // A row the batch already holds under another GID is not this GID's any more.
        guard let download = try stored(gid), working[download.id] == nil else { return nil }
        working[download.id] = DownloadUpdate(old: download, new: download)
        touched.append(download.id)
        idByGID[gid] = download.id
        return working[download.id]
    }
}
