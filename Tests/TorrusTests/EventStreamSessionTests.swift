import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Torrus

/// One client's stream, written into memory: replay, live events, resets, filters, heartbeats,
/// and a stalled client that holds nobody up.
@Suite struct EventStreamSessionTests {
    let store = InMemoryDownloadRepo(encoding: .v1JSON, eventCapacity: 50)
    let feed = ChangeFeed()
    let repo: PublishingDownloadRepo

    init() {
        repo = PublishingDownloadRepo(store, feed: feed)
    }

    /// What a session wrote, as text.
    final class Output: Sendable {
        private let text = Mutex("")
        func append(_ buffer: ByteBuffer) { text.withLock { $0 += String(buffer: buffer) } }
        var value: String { text.withLock { $0 } }
        /// The `id:` of each frame, in order (nil for a frame without one).
        var frames: [String] { value.components(separatedBy: "\n\n").filter { !$0.isEmpty } }
        var ids: [Int64] { frames.compactMap { $0.hasPrefix("id: ") ? Int64($0.dropFirst(4).prefix { $0 != "\n" }) : nil } }
    }

    func withStreams(
        _ limits: EventStreams.Limits = EventStreams.Limits(),
        _ body: (EventStreams) async throws -> Void
    ) async throws {
        let streams = EventStreams(feed: feed, log: repo, limits: limits, logger: Logger(label: "test"))
        let hub = Task { try await streams.run() }
        defer { hub.cancel() }
        try await body(streams)
    }

    /// Runs a session until the returned task is cancelled or it ends.
    func open(_ streams: EventStreams, after: Int64?, filter: EventFilter = EventFilter(), into output: Output) -> Task<Void, any Error> {
        let session = EventStreamSession(streams: streams, filter: filter, resumeAfter: after)
        return Task { try await session.run { output.append($0) } }
    }

    @Test func liveEventsFollowInCommitOrderWithTheirNumbers() async throws {
        try await withStreams { streams in
            let output = Output()
            let session = open(streams, after: nil, into: output)
            defer { session.cancel() }
            try await eventually("the stream to subscribe") { streams.subscriberCount == 1 }
            #expect(output.value.hasPrefix("retry: 3000\n\n"))
            let download = makeDownload()
            _ = try await repo.insert(download)
            _ = try await repo.update(download.id) { $0.status = .active }
            try await eventually("two events") { output.ids.count == 2 }
            #expect(output.ids == [1, 2])
            #expect(output.frames[1].hasPrefix("id: 1\nevent: download.created\ndata: {"))
            #expect(output.frames[2].hasPrefix("id: 2\nevent: download.status\ndata: {"))
        }
    }

    @Test func aResumedStreamReplaysTheLogThenFollowsWithoutGapOrDuplicate() async throws {
        for _ in 0..<3 { _ = try await repo.insert(makeDownload()) }
        try await withStreams { streams in
            let output = Output()
            let session = open(streams, after: 1, into: output)
            defer { session.cancel() }
            try await eventually("the replay") { output.ids == [2, 3] }
            try await eventually("the stream to subscribe") { streams.subscriberCount == 1 }
            for _ in 0..<3 { _ = try await repo.insert(makeDownload()) }
            try await eventually("live events") { output.ids.count == 5 }
            #expect(output.ids == [2, 3, 4, 5, 6])
        }
    }

    @Test func anIDTheLogNoLongerHoldsGetsResetThenTheStreamGoesOn() async throws {
        for _ in 0..<60 { _ = try await repo.insert(makeDownload()) }  // the log keeps 50
        try await withStreams { streams in
            let output = Output()
            let session = open(streams, after: 3, into: output)
            defer { session.cancel() }
            try await eventually("the reset") { output.frames.count >= 2 }
            #expect(output.frames[1].hasPrefix("id: 60\nevent: reset\ndata: {\"reason\":"))
            try await eventually("the stream to subscribe") { streams.subscriberCount == 1 }
            _ = try await repo.insert(makeDownload())
            try await eventually("the next event") { output.ids.last == 61 }
            #expect(output.ids == [60, 61])
        }
    }

    @Test func aStalledStreamFallsBehindIsResetAndHoldsNobodyUp() async throws {
        var limits = EventStreams.Limits()
        limits.buffer = 16
        try await withStreams(limits) { streams in
            // The stalled client: its first write of an event never returns until released.
            let release = AsyncStream<Void>.makeStream()
            let stalled = Output()
            let stalledSession = EventStreamSession(streams: streams, filter: EventFilter(), resumeAfter: nil)
            let stalledTask = Task {
                var iterator = release.stream.makeAsyncIterator()
                var wrote = 0
                try await stalledSession.run { buffer in
                    wrote += 1
                    if wrote == 2 { await iterator.next() }
                    stalled.append(buffer)
                }
            }
            let fast = Output()
            let fastTask = open(streams, after: nil, into: fast)
            defer { fastTask.cancel() }
            try await eventually("both streams to subscribe") { streams.subscriberCount == 2 }

            // A client that keeps up: each event reaches it while the stalled one falls behind.
            for count in 1...40 {
                _ = try await repo.insert(makeDownload())
                try await eventually("the fast stream to get event \(count)") { fast.ids.count == count }
            }
            #expect(fast.ids == Array(1...40))
            try await eventually("the stalled stream to be dropped") { streams.subscriberCount == 1 }

            release.continuation.yield()
            try await stalledTask.value
            #expect(stalled.frames.last?.hasPrefix("event: reset\ndata: {\"reason\":") == true, "\(stalled.frames.last ?? "")")
        }
    }

    @Test func filtersChooseTypesAndDownloads() async throws {
        try await withStreams { streams in
            let first = makeDownload()
            let second = makeDownload()
            let byType = Output()
            let byDownload = Output()
            let one = open(streams, after: 0, filter: EventFilter(types: [.downloadStatus, .downloaderConnected]), into: byType)
            let two = open(streams, after: 0, filter: EventFilter(downloads: [second.id]), into: byDownload)
            defer {
                one.cancel()
                two.cancel()
            }
            _ = try await repo.insert(first)  // 1
            _ = try await repo.insert(second)  // 2
            _ = try await repo.update(first.id) { $0.status = .active }  // 3
            _ = try await repo.update(second.id) { $0.status = .active }  // 4
            try await repo.logDownloaderEvent(.downloaderConnected)  // 5
            try await eventually("the filtered events") { byType.ids == [3, 4, 5] && byDownload.ids == [2, 4, 5] }
        }
    }

    /// Progress within one second is held back, never lost: the last value always arrives.
    @Test func progressInOneSecondIsCoalescedAndTheLastValueArrives() async throws {
        let download = makeDownload()
        _ = try await repo.insert(download)
        var limits = EventStreams.Limits()
        limits.heartbeat = .milliseconds(200)  // ticks every 100 ms
        try await withStreams(limits) { streams in
            let output = Output()
            let session = open(streams, after: 1, into: output)
            defer { session.cancel() }
            try await eventually("the stream to subscribe") { streams.subscriberCount == 1 }
            for length in 1...5 {
                _ = try await repo.update(download.id) { $0.progress.completedLength = Int64(length) }
            }
            try await eventually("the last value") { output.frames.last?.contains(#""completedLength":5"#) == true }
            let progress = output.frames.filter { $0.contains("event: download.progress") }
            #expect(progress.count < 5, "coalesced: \(progress.count)")
            #expect(progress.first?.hasPrefix("id: 2\n") == true, "the first goes out at once, with its id")
        }
    }

    @Test func aQuietStreamSendsHeartbeats() async throws {
        var limits = EventStreams.Limits()
        limits.heartbeat = .milliseconds(200)
        try await withStreams(limits) { streams in
            let output = Output()
            let session = open(streams, after: nil, into: output)
            defer { session.cancel() }
            try await eventually("two heartbeats") { output.value.components(separatedBy: ": heartbeat\n\n").count >= 3 }
        }
    }

    @Test func theCapOnOpenStreamsCountsPermitsUntilTheyAreGone() throws {
        var limits = EventStreams.Limits()
        limits.maxStreams = 2
        let streams = EventStreams(feed: feed, log: repo, limits: limits, logger: Logger(label: "test"))
        var first: EventStreams.Permit? = try streams.reserve()
        let second = try streams.reserve()
        #expect(throws: EventStreams.OpenError.self) { try streams.reserve() }
        first = nil
        #expect(first == nil)
        _ = try streams.reserve()
        withExtendedLifetime(second) {}
    }
}
