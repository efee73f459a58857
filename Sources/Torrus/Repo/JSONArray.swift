import NIOCore

/// Stored representations are JSON values; a list of them is a JSON array, assembled from the
/// bytes without parsing them.
enum JSONArray {
    /// `opening` (`[` for the start of an array, `,` to continue one) and the items,
    /// comma-separated, in one buffer; `closing` appended when given.
    static func buffer(_ items: [[UInt8]], opening: UInt8 = UInt8(ascii: "["), closing: UInt8? = UInt8(ascii: "]")) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: items.reduce(2) { $0 + $1.count + 1 })
        buffer.writeInteger(opening)
        for (index, item) in items.enumerated() {
            if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeBytes(item)
        }
        if let closing { buffer.writeInteger(closing) }
        return buffer
    }
}
