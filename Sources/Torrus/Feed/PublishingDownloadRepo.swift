import Foundation
import NIOCore

/// A repo that publishes every stored change to the change feed and keeps the representations of
/// recent downloads in memory (`RepresentationCache`). The service and the reconciler both write
/// through it, so no change can bypass the feed or leave the cache behind.
///
/// The base store reports each commit, numbered and in commit order, before the write returns
/// (`CommitReporting`); the cache and the feed are updated right there. Without that order a
/// DELETE and a concurrent reconciler update could commit in one order and be published in the
/// other, and a deleted download would reappear to subscribers. No lock around writes is needed.
public struct PublishingDownloadRepo: DownloadRepo, EventLog {
    private let base: any DownloadStore
    private let cache: RepresentationCache

    /// `cacheCapacity` bounds the representations kept in memory. Takes over `base`'s commit
    /// reports.
    public init(_ base: any DownloadStore, feed: ChangeFeed, cacheCapacity: Int = 10_000) {
        self.base = base
        let cache = RepresentationCache(capacity: cacheCapacity)
        self.cache = cache
        base.reportCommits { changes in
            for committed in changes {
                if let change = committed.change { cache.wrote(change.download.id, committed.representation) }
            }
            feed.publish(changes)
        }
    }

    public func get(_ id: UUID) async throws -> Download? { try await base.get(id) }
    public func list() async throws -> [Download] { try await base.list() }
    public func countByStatus() async throws -> [DownloadStatus: Int] { try await base.countByStatus() }
    public func countByCategory() async throws -> [String: Int] { try await base.countByCategory() }

    public func representation(of id: UUID) async throws -> [UInt8]? {
        if let cached = cache.get(id) { return cached }
        let ticket = cache.ticket()
        guard let stored = try await base.representation(of: id) else { return nil }
        cache.fill(id, stored, ticket: ticket)
        return stored
    }

    public func representations(after position: ListPosition?, limit: Int) async throws -> RepresentationPage {
        try await base.representations(after: position, limit: limit)
    }

    /// A whole list is kept until the next write: while nothing changes, every list is the same
    /// buffer.
    public func representationList(limit: Int) async throws -> RepresentationList {
        if let cached = cache.array(limit: limit) { return .whole(cached) }
        let ticket = cache.ticket()
        let list = try await base.representationList(limit: limit)
        if case .whole(let array) = list { cache.fillArray(array, limit: limit, ticket: ticket) }
        return list
    }

    public func listSnapshot(limit: Int) async throws -> ListSnapshot {
        // Read first: the store advances it only after the cache heard of the change.
        let sequence = try await base.lastSequence()
        return ListSnapshot(list: try await representationList(limit: limit), sequence: sequence)
    }

    public func page(_ query: DownloadQuery) async throws -> DownloadPage { try await base.page(query) }

    public func find(fingerprint: String) async throws -> Download? { try await base.find(fingerprint: fingerprint) }
    public func find(gid: GID) async throws -> Download? { try await base.find(gid: gid) }
    public func find(gids: [GID]) async throws -> [Download] { try await base.find(gids: gids) }
    public func find(infoHashes: [String]) async throws -> [Download] { try await base.find(infoHashes: infoHashes) }
    public func unfinished() async throws -> [Download] { try await base.unfinished() }

    public func upload(of id: UUID) async throws -> [UInt8]? { try await base.upload(of: id) }

    public func insert(_ download: Download, upload: [UInt8]?) async throws -> InsertOutcome {
        try await base.insert(download, upload: upload)
    }

    public func update(
        _ id: UUID,
        _ mutate: @escaping @Sendable (inout Download) throws -> Void
    ) async throws -> DownloadUpdate? {
        try await base.update(id, mutate)
    }

    public func update(byGID edits: [GIDEdit]) async throws -> [DownloadUpdate] { try await base.update(byGID: edits) }

    public func delete(_ id: UUID) async throws -> Download? { try await base.delete(id) }

    /// The sequence number of the last change published.
    public func lastSequence() async throws -> Int64 { try await base.lastSequence() }

    public func logDownloaderEvent(_ type: EventType) async throws { try await base.logDownloaderEvent(type) }

    public func events(after sequence: Int64, limit: Int) async throws -> EventLogPage {
        try await base.events(after: sequence, limit: limit)
    }
}
