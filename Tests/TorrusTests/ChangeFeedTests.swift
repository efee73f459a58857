import Foundation
import Testing

@testable import Torrus

@Suite struct ChangeFeedTests {
    @Test func everyWriteThroughThePublishingRepoIsPublishedWithOldAndNew() async throws {
        let feed = ChangeFeed()
        let repo = PublishingDownloadRepo(InMemoryDownloadRepo(encoding: .v1JSON), feed: feed, encoding: .v1JSON)
        var changes = feed.subscribe().makeAsyncIterator()

        let download = makeDownload()
        _ = try await repo.insert(download)
        _ = try await repo.insert(makeDownload(source: download.source))  // existing: no change
        let updated = try #require(try await repo.update(download.id) { $0.status = .active }).new
        _ = try await repo.update(download.id) { $0.status = .active }  // no change
        _ = try await repo.delete(download.id)

        #expect(await changes.next() == .created(download))
        #expect(await changes.next() == .updated(old: download, new: updated))
        #expect(await changes.next() == .deleted(updated))
        feed.finish()
        #expect(await changes.next() == nil)
    }

    @Test func aSlowSubscriberLosesTheOldestChangesAndNeverBlocksPublishing() async throws {
        let feed = ChangeFeed()
        let stream = feed.subscribe(buffer: 2)
        let downloads = (0..<5).map { _ in makeDownload() }
        for download in downloads { feed.publish(.created(download)) }
        feed.finish()
        var received: [DownloadChange] = []
        for await change in stream { received.append(change) }
        #expect(received == downloads.suffix(2).map { .created($0) })
    }

    @Test func aFinishedFeedEndsNewSubscriptionsAtOnce() async {
        let feed = ChangeFeed()
        feed.finish()
        var iterator = feed.subscribe().makeAsyncIterator()
        #expect(await iterator.next() == nil)
    }

    @Test(arguments: StoreKind.allCases) func changesArePublishedInCommitOrder(_ kind: StoreKind) async throws {
        let (store, cleanup) = try kind.make()
        defer { cleanup() }
        let feed = ChangeFeed()
        let repo = PublishingDownloadRepo(store, feed: feed, encoding: .v1JSON)
        let changes = feed.subscribe(buffer: 100_000)
        let downloads = (0..<50).map { _ in makeDownload() }
        for download in downloads { _ = try await repo.insert(download) }
        // Updates race with deletes, as reconciler writes race with DELETE requests.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for download in downloads {
                for step in 0..<20 {
                    group.addTask { _ = try await repo.update(download.id) { $0.progress.completedLength = Int64(step + 1) } }
                }
                group.addTask { _ = try await repo.delete(download.id) }
            }
            try await group.waitForAll()
        }
        feed.finish()
        var deleted = Set<UUID>()
        for await change in changes {
            #expect(!deleted.contains(change.download.id), "a change of \(change.download.id) was published after its deletion")
            if case .deleted(let download) = change { deleted.insert(download.id) }
        }
        #expect(deleted.count == downloads.count)
    }
}
