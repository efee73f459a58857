import Foundation
import Testing

@testable import Torrus

/// The order of a target's messages: log order, one at a time per download, a bound on the
/// number in flight, and where deliveries resume.
@Suite struct WebhookQueueTests {
    let a = UUID()
    let b = UUID()

    func event(_ sequence: Int64, _ download: UUID?, _ type: EventType = .downloadStatus) -> LoggedEvent {
        LoggedEvent(sequence: sequence, type: type, downloadID: download, at: 0, data: [])
    }

    @Test func oneDownloadsEventsGoOneAtATimeInOrder() {
        var queue = WebhookQueue(after: 0, filter: EventFilter())
        queue.read([event(1, a), event(2, a), event(3, b), event(4, nil), event(5, a)])
        #expect(queue.start(concurrency: 8).map(\.sequence) == [1, 3, 4])
        #expect(queue.start(concurrency: 8).isEmpty, "2 waits for 1")
        queue.finish(3)
        #expect(queue.start(concurrency: 8).isEmpty)
        queue.finish(1)
        #expect(queue.start(concurrency: 8).map(\.sequence) == [2])
        #expect(queue.deliveredThrough == 1)
        queue.finish(2)
        #expect(queue.start(concurrency: 8).map(\.sequence) == [5])
        #expect(queue.deliveredThrough == 3, "4 is still in flight")
        queue.finish(4)
        queue.finish(5)
        #expect(queue.deliveredThrough == 5 && queue.pending == 0)
    }

    @Test func noMoreThanTheConcurrencyAreInFlight() {
        var queue = WebhookQueue(after: 10, filter: EventFilter())
        queue.read((11...20).map { event($0, UUID()) })
        #expect(queue.start(concurrency: 3).map(\.sequence) == [11, 12, 13])
        queue.finish(12)
        #expect(queue.start(concurrency: 3).map(\.sequence) == [14])
        #expect(queue.deliveredThrough == 10)
    }

    @Test func eventsNotForTheTargetAreReadAndSkipped() {
        var queue = WebhookQueue(after: 0, filter: EventFilter(types: [.downloadStatus], downloads: [a]))
        queue.read([event(1, a, .downloadProgress), event(2, b), event(3, a), event(4, b, .downloadProgress)])
        #expect(queue.readThrough == 4)
        #expect(queue.start(concurrency: 8).map(\.sequence) == [3])
        queue.finish(3)
        #expect(queue.deliveredThrough == 4)
        queue.read([event(2, a)])
        #expect(queue.pending == 0, "events already read are not read twice")
    }
}
