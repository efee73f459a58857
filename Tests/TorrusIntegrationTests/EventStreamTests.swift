import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `/v1/events` from the outside: a real SSE client on a real socket, a real aria2c, torrusd
/// itself killed and restarted.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EventStreamTests {
    static let sequenceHeader = HTTPField.Name("Torrus-Sequence")!

    /// The list's sequence number: subscribing from it misses nothing that follows the list.
    static func listSequence(_ client: some TestClientProtocol) async throws -> Int64 {
        let list = try await client.execute(uri: "/v1/downloads", method: .get, headers: API.headers)
        let value = list.headers[sequenceHeader].flatMap { Int64($0) }
        return try #require(value)
    }

    static func open(port: Int, after: Int64?, query: String = "", receiveBuffer: Int? = nil) async throws -> SSEClient {
        let stream = try SSEClient(
            port: port,
            path: "/v1/events" + query,
            token: API.token,
            headers: after.map { ["Last-Event-ID": "\($0)"] } ?? [:],
            receiveBuffer: receiveBuffer
        )
        try await eventually("the stream to open") { stream.head != nil }
        return stream
    }

    @Test func aRealDownloadsLifecycleArrivesInOrderAfterTheList() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.live) { client in
            let port = try #require(client.port)
            let sequence = try await Self.listSequence(client)
            let stream = try await Self.open(port: port, after: sequence)
            defer { stream.close() }
            let head = try #require(stream.head)
            #expect(head.status == 200)
            #expect(head.headers["content-type"] == "text/event-stream")
            #expect(head.headers["cache-control"] == "no-cache")
            #expect(head.headers["x-accel-buffering"] == "no")

            // About 5 s of transfer: several progress flushes (every 500 ms) even on a busy machine.
            let source = harness.peers.fileURL(name: "sse.bin", size: 640 << 10, rate: 128 << 10)
            let id = try await API.create(client, Aria2IntegrationTests.body(source))
            try await eventually(timeout: .seconds(40), "Complete on the stream") {
                stream.events.contains { $0.type == "download.status" && $0.json["to"] as? String == "Complete" }
            }
            let events = stream.events
            let ids = events.compactMap(\.id)
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "ids strictly increase: \(ids)")
            #expect(ids.first.map { $0 > sequence } == true)
            let mine = events.filter { $0.json["id"] as? String == id }
            #expect(mine.first?.type == "download.created")
            let statuses = mine.filter { $0.type == "download.status" }.compactMap { $0.json["to"] as? String }
            #expect(statuses.contains("Active") && statuses.last == "Complete", "\(statuses)")
            // The name arrives in a meta event, or with a status change in the whole download.
            #expect(mine.contains { ($0.json["name"] ?? ($0.json["download"] as? [String: Any])?["name"]) as? String == "sse.bin" })
            #expect(mine.contains { $0.type == "download.progress" }, "\(mine.map(\.type))")
            // The last status event carries the download as the API shows it.
            let last = try #require(mine.last { $0.type == "download.status" }?.json["download"] as? [String: Any])
            let fetched = try await API.fetch(client, id)
            #expect(last["status"] as? String == "Complete" && fetched["status"] as? String == "Complete")
            #expect((last["progress"] as? [String: Any])?["completedLength"] as? Int == 640 << 10)
        }
    }

    @Test func thePushLinkGoingDownAndUpIsAnEvent() async throws {
        let harness = try Aria2Harness()
        defer { harness.shutdown() }
        try await harness.app().test(.live) { client in
            let port = try #require(client.port)
            let stream = try await Self.open(port: port, after: 0, query: "?types=downloader.connected,downloader.disconnected")
            defer { stream.close() }
            try await eventually("connected") { stream.events.map(\.type) == ["downloader.connected"] }
            harness.killAria2()
            try await eventually("disconnected") { stream.events.last?.type == "downloader.disconnected" }
            try harness.restartAria2()
            try await eventually(timeout: .seconds(20), "connected again") {
                stream.events.map(\.type) == ["downloader.connected", "downloader.disconnected", "downloader.connected"]
            }
        }
    }

    /// Torrus with the noop downloader (each download completes at once) and small limits.
    static func noopApp(_ root: TemporaryDirectory, _ extra: [String: String] = [:]) throws -> TorrusApplication {
        let configuration = try TorrusConfiguration(
            environment: [
                "TORRUS_API_TOKEN": API.token, "TORRUS_CLIENT": "noop", "TORRUS_NOOP_DURATION_MS": "0",
                "TORRUS_DATA_DIR": root.path, "TORRUS_DOWNLOAD_ROOTS": root.path,
            ].merging(extra) { _, new in new }
        )
        return try buildApplication(configuration, logger: CapturedLogs().logger())
    }

    @Test func aClientThatStopsReadingIsDroppedAndHoldsNobodyUp() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let app = try Self.noopApp(
            root,
            ["TORRUS_EVENTS_BUFFER": "16", "TORRUS_HTTP_SEND_TIMEOUT_MS": "1000", "TORRUS_EVENTS_MAX_STREAMS": "2"]
        )
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Reads nothing, with a small receive window: the server's send buffer fills quickly.
            let stalled = try await Self.open(port: port, after: nil, receiveBuffer: 4096)
            let reader = try await Self.open(port: port, after: nil)
            defer { reader.close() }
            // Both are subscribed once a third stream is refused.
            let refused = try await client.execute(uri: "/v1/events", method: .get, headers: API.headers)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "5")
            #expect(refused.headers[.contentType] == "application/problem+json")

            // Enough bytes to fill the kernel's buffers on both sides (loopback lets the server's
            // grow to 4 MiB): 300 downloads with 8 KB sources, each in three events or more.
            var created = 0
            for batch in 0..<15 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            let name = String(repeating: "x", count: 7900)
                            _ = try await API.create(client, #"{"source":"http://127.0.0.1:1/\#(name)-\#(batch)-\#(index).bin"}"#)
                        }
                    }
                    try await group.waitForAll()
                }
                created += 20
                // The reader keeps up while the other one is stuck.
                try await eventually("the reader to have every created event") {
                    reader.events.count { $0.type == "download.created" } == created
                }
            }
            // The stalled stream was closed by the server (send timeout), freeing its place.
            try await eventually(timeout: .seconds(15), "the stalled stream's place to be free") {
                try await client.execute(uri: "/v1/events", method: .head, headers: API.headers).status == .ok
            }
            let ids = reader.events.compactMap(\.id)
            #expect(ids == Array(1...Int64(ids.count)), "the reader missed nothing")
            stalled.close()
        }
    }

    @Test func anIDFromTheFutureOrNotANumberIsAnsweredClearly() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try await Self.noopApp(root).test(.live) { client in
            let port = try #require(client.port)
            let id = try await API.create(client, #"{"source":"http://127.0.0.1:1/a.bin"}"#)
            // Nothing changes any more: the reset's id and a list made after it must agree.
            _ = try await API.waitForStatus(client, id, "Complete")
            let stream = try await Self.open(port: port, after: 999_999)
            defer { stream.close() }
            try await eventually("the reset") { !stream.events.isEmpty }
            let reset = try #require(stream.events.first)
            #expect(reset.type == "reset")
            #expect(reset.id == (try await Self.listSequence(client)))
            #expect(reset.json["reason"] is String)

            for (query, header) in [("?lastEventId=abc", [:]), ("", ["Last-Event-ID": "-1"]), ("?types=download.nope", [:]), ("?download=42", [:])] {
                var headers = API.headers
                for (name, value) in header { headers[HTTPField.Name(name)!] = value }
                let response = try await client.execute(uri: "/v1/events" + query, method: .get, headers: headers)
                #expect(response.status == .badRequest, "\(query) \(header)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            let unauthorized = try await client.execute(uri: "/v1/events", method: .get)
            #expect(unauthorized.status == .unauthorized)
        }
    }
}
