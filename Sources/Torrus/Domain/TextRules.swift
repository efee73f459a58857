/// Characters no string Torrus accepts may contain. aria2 writes the options and URIs it is
/// given into its line-based session file without escaping, and names files after URIs, so a
/// control character in any value becomes an injected option, a forged log line or a file name
/// no one can type.
public enum TextRules {
    /// C0 controls (U+0000–U+001F, tab and newline included), DEL and the C1 controls
    /// (U+0080–U+009F).
    public static func isControl(_ value: UInt32) -> Bool {
        value < 0x20 || (0x7F...0x9F).contains(value)
    }

    /// The first control character in `text`, if any. Read as UTF-8 bytes (every value sent to
    /// aria2 passes here, a torrent's megabytes of base64 too): C0 and DEL are single bytes, and a
    /// C1 control is 0xC2 followed by 0x80–0x9F.
    public static func firstControl(in text: String) -> Unicode.Scalar? {
        var text = text
        return text.withUTF8 { bytes in
            for index in bytes.indices {
                let byte = bytes[index]
                if byte < 0x20 || byte == 0x7F { return Unicode.Scalar(byte) }
                if byte == 0xC2, index + 1 < bytes.count, (0x80...0x9F).contains(bytes[index + 1]) {
                    return Unicode.Scalar(bytes[index + 1])
                }
            }
            return nil
        }
    }

    /// Characters that are invisible or reorder what is shown: format characters (zero-width
    /// spaces and joiners, bidi embeddings, overrides and isolates, the BOM, soft hyphens) and the
    /// line and paragraph separators. In a URI they make one source look like another.
    public static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .format || scalar.value == 0x2028 || scalar.value == 0x2029
    }

    /// `U+000A`, for messages: the character itself would be invisible or harmful there.
    public static func describe(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    /// `text` with each control character written as a JSON-style `\u001B` escape, for naming a
    /// hostile value in a message without passing the character on.
    public static func escapingControls(_ text: String) -> String {
        guard firstControl(in: text) != nil else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar.value) {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
