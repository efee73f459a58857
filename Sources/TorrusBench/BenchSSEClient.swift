import Foundation
import Glibc
import Synchronization

/// Many `GET /v1/events` subscribers to one torrusd on 127.0.0.1: plain POSIX sockets, one HTTP/1.1
/// request each, kept open, read by `SSEReader`s on dedicated threads.
///
/// Why two threads with poll(2), not a task or a thread per socket: the bench shares the 2-core
/// machine with torrusd, and at 200 subscribers × 100 progress events a second it receives
/// ~20,000 events a second in bursts (one per poll of aria2). A thread per socket would be 200
/// wake-ups per burst and as many context switches, all charged to the same cores torrusd needs;
/// one thread would stamp its last socket of a burst only after reading all the others. Two
/// threads, one per core, each with half the sockets, keep both costs small. Swift tasks would
/// add hops between the read and the stamp (and need NIO, which the bench does not link).
final class BenchSSEClient: Sendable {
    /// What the bench and the reader threads share: plain atomics, read by the bench while the
    /// readers run.
    final class Control: Sendable {
        let stop = Atomic<Bool>(false)
        /// Set before torrusd is told to stop: from then on resets and endings are expected.
        let shuttingDown = Atomic<Bool>(false)
        /// Readers keep events committed at or after this (microseconds since 1970).
        let recordFrom = Atomic<Int64>(.max)
        /// Streams answered 200 with `text/event-stream`.
        let streaming = Atomic<Int>(0)
        /// Streams that ended, for whatever reason.
        let finished = Atomic<Int>(0)
        /// Streams that got a `reset` or ended before shutdown.
        let dropped = Atomic<Int>(0)
        /// Streams that never became event streams, and why (`HTTP 429: …`).
        let problems = Mutex<[String]>([])
    }

    let subscribers: Int
    let control: Control
    private let readers: [Task<EventLog, Never>]

    /// Opens `subscribers` connections to `127.0.0.1:port`, sends each its request, and starts
    /// `threads` reader threads over them. Streams come up asynchronously: watch `control`.
    static func connect(port: Int, token: String, subscribers: Int, threads: Int = 2, path: String = "/v1/events") throws(BenchError)
        -> BenchSSEClient
    {
        let request = Array(
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n\r\n".utf8
        )
        var fds: [Int32] = []
        do {
            for _ in 0..<subscribers {
                fds.append(try open(port: port, request: request))
            }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        return BenchSSEClient(subscribers: subscribers, fds: fds, threads: max(1, min(threads, subscribers)))
    }

    private init(subscribers: Int, fds: [Int32], threads: Int) {
        self.subscribers = subscribers
        let shared = Control()
        control = shared
        readers = (0..<threads).map { number in
            // Socket i goes to thread i % threads, so each thread holds every threads-th one.
            let share = stride(from: number, to: fds.count, by: threads).map { fds[$0] }
            return Task {
                await withCheckedContinuation { continuation in
                    let thread = Thread {
                        var reader = SSEReader(fds: share)
                        continuation.resume(returning: reader.run(control: shared))
                    }
                    thread.name = "sse-reader-\(number)"
                    thread.start()
                }
            }
        }
    }

    /// Stops the readers (within their 100 ms poll), which close their sockets; what they saw.
    func stop() async -> EventLog {
        control.stop.store(true, ordering: .relaxed)
        var log = EventLog()
        for reader in readers { log.merge(await reader.value) }
        return log
    }

    /// A blocking connect and write (loopback: both immediate), then non-blocking for the reader.
    private static func open(port: Int, request: [UInt8]) throws(BenchError) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .setup("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .setup("connect to 127.0.0.1:\(port): \(reason)")
        }
        var sent = 0
        while sent < request.count {
            let count = request.withUnsafeBytes { write(fd, $0.baseAddress! + sent, request.count - sent) }
            guard count > 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                throw .setup("sending GET /v1/events: \(reason)")
            }
            sent += count
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return fd
    }
}
