import Foundation
import Testing

@testable import Torrus

@Suite struct ChangeFeedTests {
    @Test func everyWriteThroughThePublishingRepoIsPublishedWithOldAndNew() async throws {
        let feed = ChangeFeed()
        let repo = PublishingDownloadRepo(InMemoryDownloadRepo(encoding: .v1JSON), feed: feed)
        var changes = feed.subscribe().makeAsyncIterator()

        let download = makeDownload()
        _ = try await repo.insert(download)
        _ = try await repo.insert(makeDownload(source: download.source))  // existing: no change
        let updated = try #require(try await repo.update(download.id) { $0.status = .active }).new
        _ = try await repo.update(download.id) { $0.status = .active }  // no change
        _ = try await repo.delete(download.id)

        #expect(await changes.next()?.change == .created(download))
        #expect(await changes.next()?.change == .updated(old: download, new: updated))
        let deleted = await changes.next()
        #expect(deleted?.change == .deleted(updated))
        #expect(deleted?.sequence == 3, "one number per change, none for the writes that changed nothing")
        #expect(deleted?.representation == nil)
        feed.finish()
        #expect(await changes.next() == nil)
    }

    @Test func aSlowSubscriberLosesTheOldestChangesAndNeverBlocksPublishing() async throws {
        let feed = ChangeFeed()
        let stream = feed.subscribe(buffer: 2)
        let downloads = (0..<5).map { _ in makeDownload() }
        for (index, download) in downloads.enumerated() {
            feed.publish(CommittedChange(sequence: Int64(index + 1), change: .created(download), representation: nil))
        }
        feed.finish()
        var received: [DownloadChange] = []
        for await committed in stream { received.append(committed.change!) }
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
        let repo = PublishingDownloadRepo(store, feed: feed)
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
        var sequence: Int64 = 0
        for await committed in changes {
            let change = try #require(committed.change)
            #expect(!deleted.contains(change.download.id), "a change of \(change.download.id) was published after its deletion")
            if case .deleted(let download) = change { deleted.insert(download.id) }
            #expect(committed.sequence == sequence + 1, "published in commit order, numbered without gaps")
            sequence = committed.sequence
        }
        #expect(deleted.count == downloads.count)
        #expect(try await repo.lastSequence() == sequence)
    }

    @Test func aBatchSubscriberGetsEachWriteInOnePiece() async throws {
        let feed = ChangeFeed()
        let single = feed.subscribe()
        let batches = feed.subscribeBatches()
        let downloads = (0..<3).map { _ in makeDownload() }
        let write = downloads.enumerated().map { index, download in
            CommittedChange(sequence: Int64(index + 1), change: .created(download), representation: nil)
        }
        feed.publish(write)
        feed.publish(CommittedChange(sequence: 4, change: .deleted(downloads[0]), representation: nil))
        feed.finish()
        var received: [[Int64]] = []
        for await batch in batches { received.append(batch.map(\.sequence)) }
        #expect(received == [[1, 2, 3], [4]])
        var each: [Int64] = []
        for await change in single { each.append(change.sequence) }
        #expect(each == [1, 2, 3, 4])
    }
}
