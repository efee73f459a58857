import Foundation

/// `DownloadQuery` over the in-memory store: filtered and sorted in place, compared the way
/// SQLite compares (text byte by byte, ASCII-only case folding), so both stores page alike.
extension InMemoryDownloadRepo {
    public func page(_ query: DownloadQuery) -> DownloadPage {
        let text = query.text?.asciiLowercased
        var matching = list().filter { download in
            (query.statuses.isEmpty || query.statuses.contains(download.status))
                && (query.category == nil || download.category == query.category)
                && query.tags.allSatisfy(download.tags.contains)
                && (text.map { (download.name ?? "").asciiLowercased.contains($0) || download.source.asciiLowercased.contains($0) } ?? true)
        }
        func key(_ download: Download) -> PageCursor { PageCursor(after: download, sort: query.sort, descending: false) }
        matching.sort { Self.precedes(key($0), key($1)) }
        if query.descending { matching.reverse() }
        if let after = query.after {
            matching.removeAll { download in
                let here = key(download)
                return query.descending ? !Self.precedes(here, after) : !Self.precedes(after, here)
            }
        }
        let page = matching.prefix(max(0, query.limit))
        let next = matching.count > page.count ? page.last.map { PageCursor(after: $0, sort: query.sort, descending: query.descending) } : nil
        return DownloadPage(items: page.compactMap { representation(of: $0.id) }, next: next, sequence: lastSequence())
    }

    /// Sort key, then id; text as bytes.
    private static func precedes(_ lhs: PageCursor, _ rhs: PageCursor) -> Bool {
        switch (lhs.key, rhs.key) {
        case (.number(let a), .number(let b)) where a != b: return a < b
        case (.text(let a), .text(let b)) where a != b: return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
        default: return Array(lhs.id.utf8).lexicographicallyPrecedes(Array(rhs.id.utf8))
        }
    }
}

extension String {
    /// Lower case for ASCII letters only, as SQLite's `lower()`.
    var asciiLowercased: String {
        String(decoding: utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
