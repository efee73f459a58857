import Foundation
import NIOCore

/// A place in the list, which every store orders by `createdAt`, then `id` (as its upper-case
/// string, the way SQLite compares the stored text).
public struct ListPosition: Sendable, Equatable, Comparable {
    public var createdAt: Int64
    public var id: String

    public init(createdAt: Int64, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    public init(_ download: Download) {
        self.init(createdAt: download.createdAt.millisecondsSince1970, id: download.id.uuidString)
    }

    public static func < (lhs: ListPosition, rhs: ListPosition) -> Bool {
        (lhs.createdAt, lhs.id) < (rhs.createdAt, rhs.id)
    }
}

/// The list read from its start (`DownloadReader.representationList`).
/// A list with the sequence number of the last change it reflects (at least).
public struct ListSnapshot: Sendable {
    public var list: RepresentationList
    public var sequence: Int64
}

public enum RepresentationList: Sendable {
    /// All of it, as one JSON array.
    case whole(ByteBuffer)
    /// Its first page; more follow.
    case firstPage(RepresentationPage)
}

/// Consecutive downloads of the list in their stored representation.
public struct RepresentationPage: Sendable {
    public var items: [[UInt8]]
    /// The position of the last item; nil for an empty page.
    public var last: ListPosition?

    public init(items: [[UInt8]], last: ListPosition?) {
        self.items = items
        self.last = last
    }
}
