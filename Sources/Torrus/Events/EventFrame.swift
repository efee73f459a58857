import NIOCore

/// The bytes of the stream (the `text/event-stream` format of the HTML standard). Every `data`
/// is one JSON object written by Torrus, without a line break, so one `data:` line holds it.
enum EventFrame {
    /// `id: <sequence>`, `event: <type>`, `data: <json>`. Without the id for an event sent after
    /// newer ones (`ProgressCoalescer`): an id must never move a client's position back.
    static func append(_ event: LoggedEvent, withID: Bool = true, to buffer: inout ByteBuffer) {
        buffer.reserveCapacity(minimumWritableBytes: event.data.count + 64)
        append(id: withID ? event.sequence : nil, type: event.type, data: event.data, to: &buffer)
    }

    private static func append(id: Int64?, type: EventType, data: [UInt8], to buffer: inout ByteBuffer) {
        if let id {
            buffer.writeStaticString("id: ")
            buffer.writeString(String(id))
            buffer.writeStaticString("\n")
        }
        buffer.writeStaticString("event: ")
        buffer.writeString(type.rawValue)
        buffer.writeStaticString("\ndata: ")
        buffer.writeBytes(data)
        buffer.writeStaticString("\n\n")
    }

    /// `reset`: what the client holds may be stale; it should fetch the list again and follow on
    /// from the `Torrus-Sequence` of that list. With `id` when the stream goes on from there.
    static func reset(reason: String, id: Int64?) -> ByteBuffer {
        var data: [UInt8] = Array(#"{"reason":"#.utf8)
        JSONText.string(reason, to: &data)
        data.append(UInt8(ascii: "}"))
        var buffer = ByteBuffer()
        append(id: id, type: .reset, data: data, to: &buffer)
        return buffer
    }

    /// The first bytes of every stream: how long a client waits before reconnecting. Sent at once,
    /// so the client knows the stream is open before the first event.
    static let opening = ByteBuffer(string: "retry: 3000\n\n")

    /// A comment line: keeps proxies and clients from taking a quiet stream for a dead one.
    static let heartbeat = ByteBuffer(string: ": heartbeat\n\n")
}
