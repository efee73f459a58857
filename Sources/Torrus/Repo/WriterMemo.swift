import Synchronization

/// The downloads the SQLite writer last stored or read, by GID, so the event path's lookups — a
/// progress flush of every active download each second, a resync of all of them every 30 s — do
/// not read and decode each row again (two fifths of the CPU time of a progress flush).
///
/// Right by construction; only the writer queue uses it, and every entry is committed state:
/// - a row read inside a write transaction before that transaction touched it (what
///   `update(byGID:)` looks up) is what the last commit left;
/// - a committed change replaces its download's entry, under its new GID, and drops the old GID
///   (a new download, whose GID no entry can hold, is left out); a transaction that does not
///   commit changes nothing here.
/// Bounded: it starts over when full.
final class WriterMemo: Sendable {
    private let entries = Mutex<[GID: Download]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func download(_ gid: GID) -> Download? {
        entries.withLock { $0[gid] }
    }

    /// Keeps `download` as read from committed state.
    func remember(_ download: Download) {
        guard let gid = download.gid else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[gid] = download
        }
    }

    /// Called once a write transaction has committed, with what it changed.
    func committed(_ changes: [DownloadChange]) {
        entries.withLock { entries in
            for change in changes {
                switch change {
                case .created:
                    // Not looked up by the event path yet: no memory spent on it until it is.
                    continue
                case .updated(let old, let new):
                    if let gid = old.gid, entries[gid]?.id == old.id { entries[gid] = nil }
                    if let gid = new.gid { entries[gid] = new }
                case .deleted(let old):
                    if let gid = old.gid, entries[gid]?.id == old.id { entries[gid] = nil }
                }
            }
            if entries.count > capacity { entries.removeAll(keepingCapacity: true) }
        }
    }
}
