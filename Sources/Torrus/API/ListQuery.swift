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

    /// The request's path and query with `cursor` set to `token`: the other parameters as the
    /// client sent them (still percent-encoded), and any byte a URI may not hold percent-encoded,
    /// so the link is safe between the `<` and `>` of a `Link` header. Built from the raw bytes:
    /// `URLComponents` decoded and re-encoded every parameter, ~5 % of a list page's CPU.
    static func nextLink(_ request: Request, token: String) -> String {
        var link: [UInt8] = []
        appendEscaped(request.uri.path.utf8, to: &link)
        link.append(UInt8(ascii: "?"))
        for parameter in (request.uri.query ?? "").utf8.split(separator: UInt8(ascii: "&")) {
            let name = String(decoding: parameter.prefix { $0 != UInt8(ascii: "=") }, as: UTF8.self)
            if (name.removingPercentEncoding ?? name) == "cursor" { continue }
            appendEscaped(parameter, to: &link)
            link.append(UInt8(ascii: "&"))
        }
        link += Array("cursor=".utf8) + Array(token.utf8)
        return String(decoding: link, as: UTF8.self)
    }

    /// RFC 3986's unreserved and sub-delims, `:`, `@`, `/`, `?` and `%` (an escape the client made)
    /// pass; every other byte becomes `%XX`.
    private static func appendEscaped(_ bytes: some Sequence<UInt8>, to link: inout [UInt8]) {
        let hex = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "!"), UInt8(ascii: "$"),
                UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"),
                UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "="), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "/"),
                UInt8(ascii: "?"), UInt8(ascii: "%"):
                link.append(byte)
            default:
                link += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
    }
}
