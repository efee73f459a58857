import Foundation
import Testing

@testable import Torrus

/// What each kind of change says on the event stream.
@Suite struct EventPayloadTests {
    static let at: Int64 = 1_764_619_652_123_456

    func payload(_ change: DownloadChange) throws -> (EventType, [String: Any]) {
        let event = EventPayload.event(for: change, representation: nil, at: Self.at)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(event.data)) as? [String: Any])
        #expect(object["at"] as? String == "2025-12-01T20:07:32.123456Z")
        #expect(event.downloadID == change.download.id)
        #expect(!event.data.contains(UInt8(ascii: "\n")), "one data: line")
        return (event.type, object)
    }

    @Test func createdAndStatusCarryTheWholeDownload() throws {
        let download = makeDownload()
        let (created, createdData) = try payload(.created(download))
        #expect(created == .downloadCreated)
        #expect((createdData["download"] as? [String: Any])?["id"] as? String == download.id.lowercasedString)
        #expect(createdData["id"] as? String == download.id.lowercasedString)

        var active = download
        active.status = .active
        active.progress.completedLength = 9
        let (status, statusData) = try payload(.updated(old: download, new: active))
        #expect(status == .downloadStatus)
        #expect(statusData["from"] as? String == "Queued" && statusData["to"] as? String == "Active")
        #expect(((statusData["download"] as? [String: Any])?["progress"] as? [String: Any])?["completedLength"] as? Int == 9)

        var pausing = download
        pausing.desiredStatus = .paused
        #expect(try payload(.updated(old: download, new: pausing)).0 == .downloadStatus, "the desired status is a status too")
    }

    @Test func metaAndProgressCarryWhatChanged() throws {
        let download = makeDownload()
        var named = download
        named.name = "x.iso"
        named.files = [DownloadFile(path: "/data/x.iso", length: 3, completed: 1, index: 1)]
        let (meta, metaData) = try payload(.updated(old: download, new: named))
        #expect(meta == .downloadMeta)
        #expect(metaData["name"] as? String == "x.iso")
        #expect((metaData["files"] as? [[String: Any]])?.first?["path"] as? String == "/data/x.iso")
        #expect(metaData["progress"] == nil, "progress did not change")
        #expect(metaData.keys.contains("gid"))

        var labelled = download
        labelled.category = "iso"
        labelled.tags = ["a"]
        labelled.options.maxDownloadLimit = 10
        let (relabelled, labelData) = try payload(.updated(old: download, new: labelled))
        #expect(relabelled == .downloadMeta, "a PATCH of options or labels is no progress")
        #expect(labelData["category"] as? String == "iso" && labelData["tags"] as? [String] == ["a"])
        #expect((labelData["options"] as? [String: Any])?["maxDownloadLimit"] as? Int == 10)

        var moving = download
        moving.progress = DownloadProgress(completedLength: 5, totalLength: 10, downloadSpeed: 2, uploadSpeed: 0)
        let (progress, progressData) = try payload(.updated(old: download, new: moving))
        #expect(progress == .downloadProgress)
        #expect(Set(progressData.keys) == ["at", "id", "progress", "seeding"])
        #expect((progressData["progress"] as? [String: Any])?["totalLength"] as? Int == 10)

        let (deleted, deletedData) = try payload(.deleted(download))
        #expect(deleted == .downloadDeleted)
        #expect(Set(deletedData.keys) == ["at", "id"])
    }

    @Test func hostileTextIsEscapedInTheData() throws {
        var download = makeDownload()
        download.name = "a\nb\r\n\ndata: fake\u{0}"
        let event = EventPayload.event(for: .created(download), representation: nil, at: Self.at)
        #expect(!event.data.contains(UInt8(ascii: "\n")) && !event.data.contains(UInt8(ascii: "\r")) && !event.data.contains(0))
        let frame = String(buffer: WrittenEvents([event.numbered(7)]).frames)
        #expect(frame.hasPrefix("id: 7\nevent: download.created\ndata: {"))
        #expect(frame.hasSuffix("}\n\n"))
        #expect(frame.components(separatedBy: "\n").count == 5)
    }
}

/// At most one progress event per download per second of commit time, never a stale last value.
@Suite struct ProgressCoalescerTests {
    let id = UUID()
    /// A whole second, in microseconds.
    let second: Int64 = 1_764_619_652_000_000

    func event(_ sequence: Int64, _ type: EventType, at: Int64 = 0, _ download: UUID? = nil) -> LoggedEvent {
        LoggedEvent(sequence: sequence, type: type, downloadID: download ?? id, at: second + at, data: Array("{}".utf8))
    }

    @Test func aSecondProgressInTheSameSecondWaitsAndTheLatestGoesOut() {
        var coalescer = ProgressCoalescer()
        #expect(coalescer.offer(event(1, .downloadProgress, at: 100_000)) == [.now(event(1, .downloadProgress, at: 100_000))])
        #expect(coalescer.offer(event(2, .downloadProgress, at: 400_000)).isEmpty)
        #expect(coalescer.offer(event(3, .downloadProgress, at: 900_000)).isEmpty)
        // Another download is not held back.
        #expect(coalescer.offer(event(4, .downloadProgress, at: 950_000, UUID())).count == 1)
        #expect(coalescer.due(nowMicroseconds: second + 999_000).isEmpty, "the second is not over")
        #expect(coalescer.due(nowMicroseconds: second + 1_000_000) == [.late(event(3, .downloadProgress, at: 900_000))])
        #expect(!coalescer.isHolding)
        // The late one counts for the second it went out in.
        #expect(coalescer.offer(event(5, .downloadProgress, at: 1_500_000)).isEmpty)
        #expect(coalescer.offer(event(6, .downloadProgress, at: 2_000_000)).count == 1)
    }

    @Test func commitsASecondApartAllGoOutHoweverLateTheyAreHandled() {
        var coalescer = ProgressCoalescer()
        // A 1 s poll, with jitter: each commit falls in a second of its own.
        for (index, at) in [Int64(990_000), 1_995_000, 2_985_000, 3_999_000].enumerated() {
            #expect(coalescer.offer(event(Int64(index + 1), .downloadProgress, at: at)).count == 1)
        }
    }

    @Test func statusDropsWhatIsHeldAndMetaSendsItFirst() {
        var coalescer = ProgressCoalescer()
        _ = coalescer.offer(event(1, .downloadProgress))
        _ = coalescer.offer(event(2, .downloadProgress))
        #expect(coalescer.offer(event(3, .downloadStatus)) == [.now(event(3, .downloadStatus))])
        #expect(!coalescer.isHolding)
        _ = coalescer.offer(event(4, .downloadProgress))
        #expect(coalescer.offer(event(5, .downloadMeta)) == [.late(event(4, .downloadProgress)), .now(event(5, .downloadMeta))])
        _ = coalescer.offer(event(6, .downloadProgress))
        #expect(coalescer.offer(event(7, .downloadDeleted)) == [.now(event(7, .downloadDeleted))])
        #expect(!coalescer.isHolding)
    }
}
