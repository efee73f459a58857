import Foundation
import NIOCore

/// Reads downloads. Lists are ordered by `createdAt`, then `id`, in every implementation.
public protocol DownloadReader: Sendable {
    func get(_ id: UUID) async throws -> Download?
    func list() async throws -> [Download]
    /// How many downloads are in each status, counted by the store (statuses with none are absent).
    func countByStatus() async throws -> [DownloadStatus: Int]
    /// How many downloads carry each category (downloads without one are not counted).
    func countByCategory() async throws -> [String: Int]
    /// The stored representation of one download (`DownloadEncoding`), nil when there is none.
    func representation(of id: UUID) async throws -> [UInt8]?
    /// Up to `limit` representations in list order, starting after `position` (from the start
    /// when nil), in one read.
    func representations(after position: ListPosition?, limit: Int) async throws -> RepresentationPage
    /// The list from its start: the whole of it as one JSON array when it holds fewer than
    /// `limit` downloads, else its first `limit` representations.
    func representationList(limit: Int) async throws -> RepresentationList
    /// `representationList`, labelled with a sequence number of the event log it reflects at
    /// least: a client that lists and then follows `/v1/events` from that number misses nothing
    /// (it may see a change twice).
    func listSnapshot(limit: Int) async throws -> ListSnapshot
    /// A filtered, sorted page of representations (`DownloadQuery`), in one read.
    func page(_ query: DownloadQuery) async throws -> DownloadPage
}

extension DownloadReader where Self: CommitReporting {
    public func listSnapshot(limit: Int) async throws -> ListSnapshot {
        // Read first: whatever the list then reflects is at least this.
        let sequence = try await lastSequence()
        return ListSnapshot(list: try await representationList(limit: limit), sequence: sequence)
    }
}

extension DownloadReader {
    public func representationList(limit: Int) async throws -> RepresentationList {
        let page = try await representations(after: nil, limit: limit)
        return page.items.count < limit ? .whole(JSONArray.buffer(page.items)) : .firstPage(page)
    }

    /// The whole list as one JSON array, nil when it holds `limit` downloads or more.
    public func representationArray(limit: Int) async throws -> ByteBuffer? {
        if case .whole(let array) = try await representationList(limit: limit) { return array }
        return nil
    }
}

/// Looks downloads up by their secondary keys.
public protocol DownloadFinder: Sendable {
    func find(fingerprint: String) async throws -> Download?
    func find(gid: GID) async throws -> Download?
    /// The downloads whose current GID is one of `gids`, in one read.
    func find(gids: [GID]) async throws -> [Download]
    /// The downloads with one of these (lower-case) info-hashes, in one read.
    func find(infoHashes: [String]) async throws -> [Download]
    /// The downloads not in a terminal status — those aria2 should hold — in one read.
    func unfinished() async throws -> [Download]
    /// The file a download was made from (`Download.upload`), nil for one of URIs.
    func upload(of id: UUID) async throws -> [UInt8]?
}

/// Writes downloads. Every mutation is atomic and reports what changed, so the change feed can
/// publish old and new values (DESIGN.md §10).
public protocol DownloadWriter: Sendable {
    /// Inserts unless a download with the same fingerprint exists, atomically: under any number of
    /// concurrent identical inserts exactly one returns `.inserted`. `upload`, the file the
    /// download was made from, is stored with it in the same write: never one without the other.
    func insert(_ download: Download, upload: [UInt8]?) async throws -> InsertOutcome

    /// Applies `mutate` to the stored value atomically and returns old and new values; nil when no
    /// download has that id. If `mutate` throws, nothing is written and the error propagates. When
    /// the value actually changed, `updatedAt` is set to now.
    func update(_ id: UUID, _ mutate: @escaping @Sendable (inout Download) throws -> Void) async throws -> DownloadUpdate?

    /// The event path's write: applies `edits` in order, in one transaction, each to the download
    /// whose GID is `edit.gid` at that point — looked up inside the transaction, after the edits
    /// before it (so a GID swap carries the later edits of the batch along). An edit whose GID no
    /// download has is skipped, as is one that would give a download a GID another one holds.
    /// Returns one update per download that changed: before its first edit, after its last.
    func update(byGID edits: [GIDEdit]) async throws -> [DownloadUpdate]

    /// Removes the download and returns it; nil when it did not exist.
    func delete(_ id: UUID) async throws -> Download?
}

public typealias DownloadRepo = DownloadReader & DownloadFinder & DownloadWriter

extension DownloadWriter {
    /// A download of URIs.
    public func insert(_ download: Download) async throws -> InsertOutcome {
        try await insert(download, upload: nil)
    }
}

/// A store: a repo that reports its commits and keeps them as a log of events
/// (`PublishingDownloadRepo` builds on one).
public typealias DownloadStore = DownloadRepo & CommitReporting & EventLog & WebhookStore & SettingsStore & CategoryStore

/// One change of the event path, addressed by GID (`DownloadWriter.update(byGID:)`).
public struct GIDEdit: Sendable {
    public var gid: GID
    public var mutate: @Sendable (inout Download) -> Void

    public init(_ gid: GID, _ mutate: @escaping @Sendable (inout Download) -> Void) {
        self.gid = gid
        self.mutate = mutate
    }
}

public enum InsertOutcome: Sendable, Equatable {
    case inserted(Download)
    /// A download with the same fingerprint was already stored; nothing was written.
    case existing(Download)

    public var download: Download {
        switch self {
        case .inserted(let download), .existing(let download): download
        }
    }
}

public struct DownloadUpdate: Sendable, Equatable {
    public var old: Download
    public var new: Download
    public var changed: Bool { old != new }

    public init(old: Download, new: Download) {
        self.old = old
        self.new = new
    }
}

/// Shared by the implementations: apply a mutation and stamp `updatedAt` only on a real change
/// (and `completedAt`, when the change completed the download).
/// Identity fields (`id`, `createdAt`, `fingerprint`) cannot be changed by a mutation.
func applying(_ mutate: (inout Download) throws -> Void, to old: Download, now: Date) rethrows -> Download {
    var new = old
    try mutate(&new)
    new.id = old.id
    new.createdAt = old.createdAt
    new.fingerprint = old.fingerprint
    new.updatedAt = old.updatedAt
    if new != old { new.updatedAt = max(now, old.updatedAt) }
    // Completion is dated by the change that made it, as `updatedAt` is (`EventRules` stamps it
    // a moment later than the store's `now`).
    if new.status == .complete, old.status != .complete, new.completedAt != nil { new.completedAt = new.updatedAt }
    return new
}
