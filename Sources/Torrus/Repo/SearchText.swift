/// The SQLite store's text index for `q=` (migration v13): one FTS5 trigram row per download,
/// its name and source on two lines. The index only narrows the candidates; the page query
/// still checks `LIKE` on each, so the matches are exactly those of a scan (and of the in-memory
/// store): the index folds case beyond ASCII, which only lets more candidates through.
enum SearchText {
    /// At most this many candidates are read and sorted; above it the term is common enough that
    /// reading the list in order fills a page soon (after ~`limit` × count / this many rows).
    static let candidateLimit = 1000

    /// `text` as an FTS5 phrase (quoted, so nothing in it is query syntax), nil when it is shorter
    /// than a trigram: the index cannot answer for it.
    static func phrase(_ text: String) -> String? {
        guard text.unicodeScalars.count >= 3 else { return nil }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}
