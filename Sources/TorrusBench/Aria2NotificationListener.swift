import Foundation
import Synchronization
import Torrus

/// The bench's own WebSocket to aria2 (not Torrus's): it timestamps every
/// `aria2.onDownloadStart` and `aria2.onDownloadComplete` the moment the message is complete on the socket thread, before
/// any parsing, which is the "aria2 said so" end of the completion-latency measurement. aria2
/// sends each notification to every WebSocket client, so this sees what Torrus sees.
final class Aria2NotificationListener: Sendable {
    private let log = ArrivalLog()
    private let socket: CurlWebSocket

    init(url: String) {
        let log = self.log
        socket = CurlWebSocket(
            url: url,
            connectTimeout: .seconds(5),
            pingInterval: .seconds(5),
            pongTimeout: .seconds(3),
            onMessage: { message in
                let arrived = ContinuousClock.now
                log.record(message, arrived: arrived)
            }
        )
    }

    func connect() async throws {
        try await socket.connect()
    }

    func close() {
        socket.close()
    }

    /// When `onDownloadComplete` for `gid` arrived (the first one, should aria2 repeat it).
    func completed(_ gid: String) -> ContinuousClock.Instant? {
        log.completed(gid)
    }

    /// When `onDownloadStart` for `gid` arrived (the first one).
    func started(_ gid: String) -> ContinuousClock.Instant? {
        log.started(gid)
    }

    /// The arrival times, keyed by GID; guarded by a mutex because the socket thread writes them.
    private final class ArrivalLog: Sendable {
        private struct Notification: Decodable {
            struct Event: Decodable { let gid: String }
            let method: String?
            let params: [Event]?
        }

        private let arrivals = Mutex<(started: [String: ContinuousClock.Instant], completed: [String: ContinuousClock.Instant])>(([:], [:]))

        func record(_ message: [UInt8], arrived: ContinuousClock.Instant) {
            // Answers to calls never come here (this socket makes none); anything else that does
            // not parse as a notification is ignored.
            guard let notification = try? JSONDecoder().decode(Notification.self, from: Data(message)),
                let gid = notification.params?.first?.gid
            else { return }
            arrivals.withLock { arrivals in
                switch notification.method {
                case "aria2.onDownloadStart": if arrivals.started[gid] == nil { arrivals.started[gid] = arrived }
                case "aria2.onDownloadComplete": if arrivals.completed[gid] == nil { arrivals.completed[gid] = arrived }
                default: break
                }
            }
        }

        func started(_ gid: String) -> ContinuousClock.Instant? {
            arrivals.withLock { $0.started[gid] }
        }

        func completed(_ gid: String) -> ContinuousClock.Instant? {
            arrivals.withLock { $0.completed[gid] }
        }
    }
}
