/// JSON written byte by byte where `JSONEncoder` costs too much: a download's representation
/// (`DownloadJSON`) and every aria2 request (`JSONValue.write(to:)`).
enum JSONText {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// A JSON string as `JSONEncoder` writes one: `"` and `\` escaped, the C0 controls as `\b`,
    /// `\t`, `\n`, `\f`, `\r` or `\u00xx`, everything else (`/`, DEL, non-ASCII) as its UTF-8.
    static func string(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        // Runs that need no escape are appended whole: a torrent's 1.4 MB of base64 is one run.
        value.withUTF8 { bytes in
            var start = 0
            for index in bytes.indices where bytes[index] < 0x20 || bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                escape(bytes[index], to: &out)
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `"`, `\` or a C0 control, escaped.
    private static func escape(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
        case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
        case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
        case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
        case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
        case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
        case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
        case 0x00..<0x20:
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0x0F)])
        default: out.append(byte)
        }
    }

    /// A string, or `null` for nil.
    static func optionalString(_ value: String?, to out: inout [UInt8]) {
        if let value { string(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
    }

    /// Decimal digits; up to 15 of them (any real length or speed) fit a small string, so this
    /// allocates nothing.
    static func number(_ value: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// A `Double` as `JSONEncoder` writes one: whole numbers without a fraction, others in
    /// their shortest form (`33.3`, `0.125`).
    static func number(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded(), abs(value) < 1e15 {
            number(Int64(value), to: &out)
        } else {
            out.append(contentsOf: value.description.utf8)
        }
    }
}
