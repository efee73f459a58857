import Testing

@testable import Torrus

@Suite struct ChangeFeedTests {
    @Test func everyWriteThroughThePublishingRepoIsPublishedWithOldAndNew() async throws {
        let feed = ChangeFeed()
        let repo = PublishingDownloadRepo(InMemoryDownloadRepo(), feed: feed)
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
}
