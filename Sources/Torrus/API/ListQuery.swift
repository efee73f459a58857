import Foundation
import Hummingbird

/// The query of `GET /v1/downloads`: none at all is the plain array every client knows; any of
/// `status` (comma-separated, may repeat), `category`, `tag` (may repeat: all must match), `q`,
/// `sort` (`createdAt`, `name`), `order` (`asc`, `desc`), `limit` (1–1000, default 100) and
/// `cursor` asks for the paged form. Anything else is a 400: a mistyped filter must not quietly
/// list everything.
enum ListQuery {
    static let names: Set<String> = ["status", "category", "tag", "q", "sort", "order", "limit", "cursor"]
    static let defaultLimit = 100
    static let maxLimit = 1000

    /// Nil for the plain list.
    static func parse(_ request: Request) throws -> DownloadQuery? {
        let parameters = request.uri.queryParameters
        guard !parameters.isEmpty else { return nil }
        for (name, _) in parameters where !names.contains(String(name)) {
            throw TorrusError.invalidInput(
                "Unknown query parameter '\(TextRules.escapingControls(String(name.prefix(40))))'; the list takes \(names.sorted().joined(separator: ", "))."
            )
        }
        func single(_ name: String) throws -> String? {
            let values = parameters.getAll(name)
            guard values.count <= 1 else { throw TorrusError.invalidInput("'\(name)' may be given once.") }
            return values.first.map { String($0) }
        }
        var query = DownloadQuery()
        for list in parameters.getAll("status") {
            for raw in list.split(separator: ",") {
                guard let status = DownloadStatus(rawValue: String(raw)) else {
                    throw TorrusError.invalidInput(
                        "status: '\(TextRules.escapingControls(String(raw.prefix(40))))' is not a status; one of \(DownloadStatus.allCases.map(\.rawValue).joined(separator: ", "))."
                    )
                }
                query.statuses.insert(status)
            }
        }
        if let category = try single("category") {
            try DownloadOptionRules.validateLabel(category, field: "category")
            query.category = category
        }
        query.tags = parameters.getAll("tag").map { String($0) }
        for tag in query.tags { try DownloadOptionRules.validateLabel(tag, field: "tag") }
        if let text = try single("q") {
            guard !text.isEmpty, text.utf8.count <= 256, TextRules.firstControl(in: text) == nil else {
                throw TorrusError.invalidInput("q must be 1 to 256 bytes of text without control characters.")
            }
            query.text = text
        }
        if let raw = try single("sort") {
            guard let sort = DownloadSort(rawValue: raw) else {
                throw TorrusError.invalidInput("sort must be one of \(DownloadSort.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            query.sort = sort
        }
        if let raw = try single("order") {
            guard raw == "asc" || raw == "desc" else { throw TorrusError.invalidInput("order must be asc or desc.") }
            query.descending = raw == "desc"
        }
        query.limit = defaultLimit
        if let raw = try single("limit") {
            guard let limit = Int(raw), (1...maxLimit).contains(limit) else {
                throw TorrusError.invalidInput("limit must be a whole number from 1 to \(maxLimit).")
            }
            query.limit = limit
        }
        if let token = try single("cursor") {
            guard let cursor = PageCursor(token: token) else {
                throw TorrusError.invalidInput("cursor is not one this server gave; start again without it.")
            }
            guard cursor.sort == query.sort, cursor.descending == query.descending else {
                throw TorrusError.invalidInput("cursor belongs to another sort or order; give the same sort and order as the first page.")
            }
            query.after = cursor
        }
        return query
    }

    /// The request's path and query with `cursor` set to the next page's.
    static func nextLink(_ request: Request, cursor: PageCursor) -> String {
        var components = URLComponents()
        components.path = request.uri.path
        var items = request.uri.queryParameters.filter { $0.key != "cursor" }.map {
            URLQueryItem(name: String($0.key), value: String($0.value))
        }
        items.append(URLQueryItem(name: "cursor", value: cursor.token))
        components.queryItems = items
        return components.string ?? request.uri.path
    }
}
