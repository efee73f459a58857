import Glibc

/// One subscriber's `GET /v1/events` connection, fed the bytes as they arrive: the response head,
/// HTTP/1.1 chunked framing, then `text/event-stream` lines, each event appended to an
/// `EventLog`. Works on the read buffer in place (memchr for line ends, no String per line):
/// two threads parse ~20,000 events a second on the machine torrusd runs on.
struct SSEStream {
    /// Where the bytes stand in the HTTP framing.
    private enum Framing {
        case head
        /// In a chunk-size line: the size so far, and whether an extension (`;…`) or the CR began.
        case size(Int, ended: Bool)
        /// In a chunk's data, with this many bytes to go.
        case data(Int)
        /// After a chunk's data, up to its CRLF.
        case dataEnd
        /// No chunked encoding: the body runs to the end of the connection.
        case identity
        case done
    }

    /// What each event's `event:` line said, reduced to what the figures tell apart.
    private enum Name {
        case progress
        case status
        case reset
        case other(String)
    }

    let fd: Int32
    private var framing = Framing.head
    /// The head so far, until its blank line.
    private var head: [UInt8] = []
    /// An SSE line split across reads or chunks.
    private var line: [UInt8] = []
    /// The fields of the event being read, until its blank line.
    private var eventID: Int64 = -1
    private var name = Name.other("message")
    private var committed: Int64 = -1
    private var hasData = false
    private var lastID: Int64 = -1

    /// The response's status code, once its head was read.
    private(set) var status: Int?
    /// Why the stream ended (nil while it runs): "closed by torrusd", "read error: …", or a
    /// problem with the response.
    private(set) var ending: String?
    /// Whether it got a `reset` or ended before shutdown.
    var dropped = false

    init(fd: Int32) {
        self.fd = fd
    }

    /// Feeds one read's bytes. `recordFrom`: events committed earlier are parsed but not kept;
    /// `shuttingDown`: torrusd was told to stop, so resets and endings are expected.
    mutating func consume(_ bytes: UnsafeBufferPointer<UInt8>, received: Int64, recordFrom: Int64, shuttingDown: Bool, log: inout EventLog) {
        var index = 0
        while index < bytes.count, ending == nil {
            switch framing {
            case .head:
                index += readHead(UnsafeBufferPointer(rebasing: bytes[index...]))
            case .size(let size, let ended):
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\n") {
                    if size == 0 {
                        framing = .done
                        end("closed by torrusd (last chunk)")
                    } else {
                        framing = .data(size)
                    }
                } else if ended || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: ";") {
                    framing = .size(size, ended: true)
                } else if let digit = Self.hexValue(byte), size < 1 << 40 {
                    framing = .size(size * 16 + digit, ended: false)
                } else {
                    end("bad chunk size byte \(byte)")
                }
            case .data(let remaining):
                let take = min(remaining, bytes.count - index)
                readEvents(UnsafeBufferPointer(rebasing: bytes[index..<(index + take)]), received, recordFrom, shuttingDown, &log)
                index += take
                framing = take == remaining ? .dataEnd : .data(remaining - take)
            case .dataEnd:
                if bytes[index] == UInt8(ascii: "\n") { framing = .size(0, ended: false) }
                index += 1
            case .identity:
                readEvents(UnsafeBufferPointer(rebasing: bytes[index...]), received, recordFrom, shuttingDown, &log)
                index = bytes.count
            case .done:
                index = bytes.count
            }
        }
    }

    /// The connection ended or failed.
    mutating func end(_ why: String) {
        if ending == nil { ending = why }
    }

    // MARK: HTTP

    /// Adds bytes to the head; once its blank line is there, reads the status and framing.
    /// Returns how many of `bytes` belonged to the head.
    private mutating func readHead(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let before = head.count
        head.append(contentsOf: bytes)
        let terminator = Array("\r\n\r\n".utf8)
        var end: Int?
        var index = max(0, before - 3)
        while index + 4 <= head.count {
            if head[index] == terminator[0], head[index..<(index + 4)].elementsEqual(terminator) {
                end = index
                break
            }
            index += 1
        }
        guard let end else {
            if head.count > 16 << 10 { self.end("response head over 16 KiB") }
            return bytes.count
        }
        let text = String(decoding: head[..<end], as: UTF8.self)
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusLine = lines.first ?? ""
        let code = statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        status = code
        var fields: [String: String] = [:]
        for field in lines.dropFirst() {
            guard let colon = field.firstIndex(of: ":") else { continue }
            fields[field[..<colon].lowercased()] = field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces).lowercased()
        }
        if code != 200 {
            let body = String(decoding: head[(end + 4)...].prefix(300), as: UTF8.self)
            self.end("HTTP \(code)" + (body.isEmpty ? "" : ": \(body)"))
        } else if !(fields["content-type"] ?? "").hasPrefix("text/event-stream") {
            self.end("Content-Type is '\(fields["content-type"] ?? "")', not text/event-stream")
        }
        framing = (fields["transfer-encoding"] ?? "").contains("chunked") ? .size(0, ended: false) : .identity
        let used = end + 4 - before
        head = []
        return used
    }

    // MARK: Server-sent events

    /// Splits decoded body bytes into lines; a line cut by a read or a chunk boundary waits in `line`.
    private mutating func readEvents(
        _ bytes: UnsafeBufferPointer<UInt8>,
        _ received: Int64,
        _ recordFrom: Int64,
        _ shuttingDown: Bool,
        _ log: inout EventLog
    ) {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
                return
            }
            let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if line.isEmpty {
                readLine(UnsafeBufferPointer(rebasing: bytes[start..<end]), received, recordFrom, shuttingDown, &log)
            } else {
                line.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<end]))
                // Moved out while it is read (readLine mutates self), and back to keep its capacity.
                var whole: [UInt8] = []
                swap(&whole, &line)
                whole.withUnsafeBufferPointer { readLine($0, received, recordFrom, shuttingDown, &log) }
                whole.removeAll(keepingCapacity: true)
                line = whole
            }
            start = end + 1
        }
    }

    private mutating func readLine(
        _ raw: UnsafeBufferPointer<UInt8>,
        _ received: Int64,
        _ recordFrom: Int64,
        _ shuttingDown: Bool,
        _ log: inout EventLog
    ) {
        var text = raw
        if let last = text.last, last == UInt8(ascii: "\r") { text = UnsafeBufferPointer(rebasing: text.dropLast()) }
        guard let first = text.first else {
            dispatch(received, recordFrom, shuttingDown, &log)
            return
        }
        if first == UInt8(ascii: ":") {
            log.comments += 1
            return
        }
        let colon = text.firstIndex(of: UInt8(ascii: ":")) ?? text.count
        let field = UnsafeBufferPointer(rebasing: text[..<colon])
        var valueStart = min(colon + 1, text.count)
        if valueStart < text.count, text[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = UnsafeBufferPointer(rebasing: text[valueStart...])
        if field.elementsEqual("data".utf8) {
            hasData = true
            committed = Self.commitTime(in: value) ?? -1
        } else if field.elementsEqual("id".utf8) {
            eventID = Self.integer(value) ?? -1
        } else if field.elementsEqual("event".utf8) {
            if value.elementsEqual("download.progress".utf8) {
                name = .progress
            } else if value.elementsEqual("download.status".utf8) {
                name = .status
            } else if value.elementsEqual("reset".utf8) {
                name = .reset
            } else {
                name = .other(String(decoding: value, as: UTF8.self))
            }
        }
        // `retry:` and unknown fields need nothing.
    }

    /// The blank line after an event's fields.
    private mutating func dispatch(_ received: Int64, _ recordFrom: Int64, _ shuttingDown: Bool, _ log: inout EventLog) {
        defer {
            eventID = -1
            name = .other("message")
            committed = -1
            hasData = false
        }
        // A block without data (the opening `retry: 3000`) is no event.
        let isReset = if case .reset = name { true } else { false }
        guard hasData || isReset else { return }
        if isReset {
            if shuttingDown {
                log.shutdownResets += 1
            } else {
                log.resets += 1
                dropped = true
            }
            return
        }
        if eventID >= 0 {
            if eventID <= lastID { log.outOfOrder += 1 }
            lastID = eventID
        }
        guard committed >= 0 else {
            log.withoutTimestamp += 1
            return
        }
        guard committed >= recordFrom else { return }
        let kind: EventDelivery.Kind
        switch name {
        case .progress: kind = .progress
        case .status: kind = .status
        case .reset: return
        case .other(let other):
            kind = .other
            log.otherNames[other, default: 0] += 1
        }
        log.deliveries.append(EventDelivery(id: eventID, committed: committed, received: received, kind: kind))
    }

    /// `"at":"…"` in an event's JSON data, as microseconds since 1970.
    private static func commitTime(in data: UnsafeBufferPointer<UInt8>) -> Int64? {
        let key = Array(#""at":""#.utf8)
        guard data.count > key.count else { return nil }
        // torrusd writes `at` first; look further only if it is not.
        var start: Int?
        if data[1..<(1 + key.count)].elementsEqual(key) {
            start = 1 + key.count
        } else {
            var index = 0
            while index + key.count <= data.count {
                if data[index] == key[0], data[index..<(index + key.count)].elementsEqual(key) {
                    start = index + key.count
                    break
                }
                index += 1
            }
        }
        guard let start, let quote = data[start...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return WallClock.microseconds(rfc3339: UnsafeBufferPointer(rebasing: data[start..<quote]))
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    private static func integer(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in text {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
        }
        return value
    }
}
