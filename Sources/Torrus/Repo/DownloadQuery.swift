import Foundation

/// A filtered, sorted page of the list (`GET /v1/downloads?…`): keyset pagination on the sort
/// key and the id, so a page never repeats or skips a download that exists throughout, whatever is
/// added or deleted between pages.
public struct DownloadQuery: Sendable, Equatable {
    public var statuses: Set<DownloadStatus> = []
    public var category: String?
    /// A download must carry every one of them.
    public var tags: [String] = []
    /// A case-insensitive part of the name or the source.
    public var text: String?
    public var sort = DownloadSort.createdAt
    public var descending = false
    public var limit = 100
    /// Where the previous page ended.
    public var after: PageCursor?

    public init() {}
}

public enum DownloadSort: String, Sendable, CaseIterable {
    case createdAt
    case name
}

/// A place in a sorted list: the sort key's value and the id (its upper-case text, as SQLite
/// compares it). Opaque to clients; it names its sort and order, so it cannot be used with another.
public struct PageCursor: Sendable, Equatable {
    public enum Key: Sendable, Equatable {
        case number(Int64)
        case text(String)
    }

    public var sort: DownloadSort
    public var descending: Bool
    public var key: Key
    public var id: String

    public init(sort: DownloadSort, descending: Bool, key: Key, id: String) {
        self.sort = sort
        self.descending = descending
        self.key = key
        self.id = id
    }

    /// Where `download` stands in a list sorted by `sort`.
    public init(after download: Download, sort: DownloadSort, descending: Bool) {
        let key: Key =
            switch sort {
            case .createdAt: .number(download.createdAt.millisecondsSince1970)
            case .name: .text(download.name ?? "")
            }
        self.init(sort: sort, descending: descending, key: key, id: download.id.uuidString)
    }

    /// URL-safe base64 of `1`, sort, order, key and id, NUL-separated.
    public var token: String {
        let key: String =
            switch key {
            case .number(let value): "n" + String(value)
            case .text(let value): "t" + value
            }
        let text = ["1", sort.rawValue, descending ? "desc" : "asc", key, id].joined(separator: "\u{0}")
        // base64url by a byte map: three Foundation `replacingOccurrences` (bridged through
        // NSString) were ~8 % of a list page's CPU.
        var token: [UInt8] = []
        for byte in Data(text.utf8).base64EncodedString().utf8 {
            switch byte {
            case UInt8(ascii: "+"): token.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): token.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: token.append(byte)
            }
        }
        return String(decoding: token, as: UTF8.self)
    }

    public init?(token: String) {
        guard token.utf8.count <= 2048 else { return nil }
        var base64: [UInt8] = token.utf8.map { byte in
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }
        while base64.count % 4 != 0 { base64.append(UInt8(ascii: "=")) }
        guard let data = Data(base64Encoded: Data(base64)), let text = String(data: data, encoding: .utf8) else { return nil }
        let parts = text.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "1", let sort = DownloadSort(rawValue: parts[1]), ["asc", "desc"].contains(parts[2]),
            let kind = parts[3].first, UUID(uuidString: parts[4]) != nil
        else { return nil }
        let value = String(parts[3].dropFirst())
        switch (kind, sort) {
        case ("n", .createdAt):
            guard let number = Int64(value) else { return nil }
            key = .number(number)
        case ("t", .name):
            key = .text(value)
        default:
            return nil
        }
        self.sort = sort
        descending = parts[2] == "desc"
        id = parts[4]
    }
}

/// One page: the representations, where the next page starts (nil on the last), and the
/// sequence number of the event log the page reflects (read with it).
public struct DownloadPage: Sendable {
    public var items: [[UInt8]]
    public var next: PageCursor?
    public var sequence: Int64

    public init(items: [[UInt8]], next: PageCursor?, sequence: Int64) {
        self.items = items
        self.next = next
        self.sequence = sequence
    }
}
