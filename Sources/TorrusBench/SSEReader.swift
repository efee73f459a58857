import Glibc

/// One reader thread's share of the subscribers' sockets (non-blocking), read with poll(2) until
/// the client says stop. Each round first reads every ready socket into its own slot, stamping
/// each read with the wall clock, and only then parses: a thread that parsed as it went would
/// stamp its last socket late by the parsing of all the others, and torrusd sends each event to
/// every stream at about the same moment.
struct SSEReader {
    /// Bytes read from one socket per round; a burst of 100 progress events is ~40 KB.
    private static let slot = 64 << 10

    private var streams: [SSEStream]
    private var log = EventLog()

    init(fds: [Int32]) {
        streams = fds.map { SSEStream(fd: $0) }
    }

    /// Reads until `control.stop`, closes every socket it holds, and returns what it saw.
    mutating func run(control: BenchSSEClient.Control) -> EventLog {
        var descriptors = streams.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.slot * max(streams.count, 1), alignment: 16)
        defer { buffer.deallocate() }
        var lengths = [Int](repeating: 0, count: streams.count)
        var stamps = [Int64](repeating: 0, count: streams.count)
        var open = streams.count
        while !control.stop.load(ordering: .relaxed), open > 0 {
            // 100 ms: how soon a stop is noticed; data wakes it at once.
            let ready = poll(&descriptors, nfds_t(descriptors.count), 100)
            guard ready > 0 else { continue }
            for index in descriptors.indices where descriptors[index].revents != 0 {
                let count = read(descriptors[index].fd, buffer.baseAddress! + index * Self.slot, Self.slot)
                stamps[index] = WallClock.now()
                lengths[index] = count < 0 ? -Int(errno) : (count == 0 ? Int.min : count)
            }
            let recordFrom = control.recordFrom.load(ordering: .relaxed)
            let shuttingDown = control.shuttingDown.load(ordering: .relaxed)
            for index in descriptors.indices where descriptors[index].revents != 0 {
                descriptors[index].revents = 0
                let length = lengths[index]
                let hadStatus = streams[index].status != nil
                let wasDropped = streams[index].dropped
                if length > 0 {
                    let bytes = UnsafeBufferPointer(
                        start: (buffer.baseAddress! + index * Self.slot).assumingMemoryBound(to: UInt8.self),
                        count: length
                    )
                    streams[index].consume(bytes, received: stamps[index], recordFrom: recordFrom, shuttingDown: shuttingDown, log: &log)
                } else if length == Int.min {
                    streams[index].end("closed by torrusd")
                } else if -length != Int(EAGAIN), -length != Int(EINTR) {
                    streams[index].end("read error: \(String(cString: strerror(Int32(-length))))")
                }
                if !hadStatus, streams[index].status == 200, streams[index].ending == nil {
                    control.streaming.add(1, ordering: .relaxed)
                }
                if let ending = streams[index].ending {
                    finish(index, ending: ending, shuttingDown: shuttingDown, control: control)
                    close(descriptors[index].fd)
                    descriptors[index].fd = -1  // poll skips negative descriptors
                    open -= 1
                }
                if !wasDropped, streams[index].dropped { control.dropped.add(1, ordering: .relaxed) }
            }
        }
        for index in descriptors.indices where descriptors[index].fd >= 0 {
            close(descriptors[index].fd)
            log.openAtStop += 1
        }
        log.streamsDropped = streams.count(where: \.dropped)
        return log
    }

    /// Counts a stream that ended: a drop before shutdown, expected after; a problem if it never
    /// became an event stream.
    private mutating func finish(_ index: Int, ending: String, shuttingDown: Bool, control: BenchSSEClient.Control) {
        control.finished.add(1, ordering: .relaxed)
        guard streams[index].status == 200, !ending.hasPrefix("Content-Type") else {
            control.problems.withLock { $0.append(ending) }
            return
        }
        if shuttingDown {
            log.shutdownEndings += 1
        } else {
            log.endings[ending, default: 0] += 1
            streams[index].dropped = true
        }
    }
}
