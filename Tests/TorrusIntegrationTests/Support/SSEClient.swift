import Foundation

/// A client of `/v1/events` over a real socket, reading the stream as a browser's `EventSource`
/// would: the response head, the chunked body, then events separated by blank lines, with their
/// `id`, `event` and `data` fields. Like `RawSocket`, nothing here waits; tests poll with
/// `eventually`.
final class SSEClient {
    struct Event: Equatable {
        var id: Int64?
        var type: String
        var data: String

        /// `data` as a JSON object.
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any]) ?? [:]
        }
    }

    let socket: RawSocket
    /// The request's path, and whether its response head went to the contract log.
    private let path: String
    private var recorded = false
    private var parsedBody: [UInt8] = []
    private var consumed = 0
    /// Events parsed so far, and where in `parsedBody` the next frame starts.
    private var parsed: [Event] = []
    private var parsedUpTo = 0

    /// Sends `GET path` with the token and `headers`.
    init(port: Int, path: String = "/v1/events", token: String, headers: [String: String] = [:], receiveBuffer: Int? = nil) throws {
        socket = try RawSocket(port: port, receiveBuffer: receiveBuffer)
        self.path = path
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try socket.send(request + "\r\n")
    }

    /// The status line and header lines (lower-cased names), once they arrived.
    var head: (status: Int, headers: [String: String])? {
        guard let end = socket.poll().text.range(of: "\r\n\r\n") else { return nil }
        let lines = socket.text[..<end.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        if !recorded {
            // For the contract check: the status and headers (the stream itself is not JSON).
            recorded = true
            ContractLog.record(method: "GET", uri: path, status: status, headers: headers, body: nil, bodyLength: 0)
        }
        return (status, headers)
    }

    /// Every event received so far, in order (comments and `retry` are not events). Parses only
    /// what arrived since the last call: a test may poll a stream of megabytes many times.
    var events: [Event] {
        _ = body
        let fresh = String(decoding: parsedBody[parsedUpTo...], as: UTF8.self)
        if let end = fresh.range(of: "\n\n", options: .backwards) {
            let complete = fresh[..<end.upperBound]
            parsed += Self.parse(String(complete)).filter { !$0.type.isEmpty }
            parsedUpTo += complete.utf8.count
        }
        return parsed
    }

    /// The whole body decoded so far (chunked transfer coding removed).
    var body: String {
        let bytes = socket.poll().received
        guard let headEnd = Self.find([13, 10, 13, 10], in: bytes, from: 0) else { return "" }
        var position = headEnd + 4 + consumed
        // Decode the chunks that arrived whole since the last call.
        while let lineEnd = Self.find([13, 10], in: bytes, from: position),
            let size = Int(String(decoding: bytes[position..<lineEnd], as: UTF8.self), radix: 16),
            lineEnd + 2 + size + 2 <= bytes.count
        {
            parsedBody += bytes[(lineEnd + 2)..<(lineEnd + 2 + size)]
            position = lineEnd + 2 + size + 2
            consumed = position - headEnd - 4
            if size == 0 { break }
        }
        return String(decoding: parsedBody, as: UTF8.self)
    }

    /// Frames of `text` (which may end in an unfinished one, left out).
    static func parse(_ text: String) -> [Event] {
        var frames = text.components(separatedBy: "\n\n")
        frames.removeLast()
        return frames.map { frame in
            var event = Event(id: nil, type: "", data: "")
            for line in frame.split(separator: "\n") {
                if line.hasPrefix("id: ") { event.id = Int64(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event.type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { event.data = String(line.dropFirst(6)) }
            }
            return event
        }
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        for index in start...(bytes.count - needle.count) where bytes[index] == needle[0] {
            if Array(bytes[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }

    func close() { socket.close() }
}
