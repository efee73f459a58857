import Foundation
import NIOCore

/// A repo that publishes every stored change to the change feed and keeps the representations of
/// recent downloads in memory (`RepresentationCache`). The service and the reconciler both write
/// through it, so no change can bypass the feed or leave the cache behind.
///
/// Each write and its publication happen under one lock, so subscribers see changes in commit
/// order (otherwise a DELETE and a concurrent reconciler update could commit in one order and be
/// published in the other, and a deleted download would reappear to subscribers). The stores
/// serialise writes anyway; reads are not affected.
public struct PublishingDownloadRepo: DownloadRepo {
    private let base: any DownloadRepo
    private let feed: ChangeFeed
    private let encoding: DownloadEncoding
    private let cache: RepresentationCache
    private let order = KeyedLock()
    private static let writes = UUID()

    /// `encoding` must be the one `base` stores; `cacheCapacity` bounds the representations kept
    /// in memory.
    public init(_ base: any DownloadRepo, feed: ChangeFeed, encoding: DownloadEncoding, cacheCapacity: Int = 10_000) {
        self.base = base
        self.feed = feed
        self.encoding = encoding
        cache = RepresentationCache(capacity: cacheCapacity)
    }

    public func get(_ id: UUID) async throws -> Download? { try await base.get(id) }
    public func list() async throws -> [Download] { try await base.list() }

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
    public func find(fingerprint: String) async throws -> Download? { try await base.find(fingerprint: fingerprint) }
    public func find(gid: GID) async throws -> Download? { try await base.find(gid: gid) }
    public func find(gids: [GID]) async throws -> [Download] { try await base.find(gids: gids) }

    public func insert(_ download: Download) async throws -> InsertOutcome {
        try await order.withLock(Self.writes) {
            let outcome = try await base.insert(download)
            if case .inserted(let stored) = outcome {
                cache.wrote(stored.id, encoding.encode(stored))
                feed.publish(.created(stored))
            }
            return outcome
        }
    }

    public func update(
        _ id: UUID,
        _ mutate: @escaping @Sendable (inout Download) throws -> Void
    ) async throws -> DownloadUpdate? {
        try await order.withLock(Self.writes) {
            let update = try await base.update(id, mutate)
            if let update, update.changed { written(update) }
            return update
        }
    }

    public func updateEach(
        _ ids: [UUID],
        _ mutate: @escaping @Sendable (inout Download) -> Void
    ) async throws -> [DownloadUpdate] {
        try await order.withLock(Self.writes) {
            let updates = try await base.updateEach(ids, mutate)
            for update in updates where update.changed { written(update) }
            return updates
        }
    }

    public func delete(_ id: UUID) async throws -> Download? {
        try await order.withLock(Self.writes) {
            let deleted = try await base.delete(id)
            if let deleted {
                cache.wrote(id, nil)
                feed.publish(.deleted(deleted))
            }
            return deleted
        }
    }

    private func written(_ update: DownloadUpdate) {
        cache.wrote(update.new.id, encoding.encode(update.new))
        feed.publish(.updated(old: update.old, new: update.new))
    }
}
