/// What `JSONDecoder` lets through and Torrus must not: a key given twice in one object (the
/// decoder silently keeps one of them) and a control character in any string of the body.
///
/// Every string a client sends may end up in aria2's line-based session file, a file name or a
/// log line, where a newline or another control character rewrites what follows. Checking the
/// body once, here, covers every field of every request, present and future, and names the
/// field. Malformed JSON is left to the decoder, which says what is wrong with it.
struct JSONBodyScanner {
    enum Finding: Equatable, Sendable {
        case duplicateKey(field: String)
        /// `scalar` is the offending character's code point.
        case controlCharacter(field: String, scalar: UInt32)
    }

    /// The first finding in `bytes`, or nil when there is none (or the JSON is malformed).
    static func scan(_ bytes: some Collection<UInt8>) -> Finding? {
        var scanner = JSONBodyScanner(bytes: Array(bytes))
        return scanner.run()
    }

    private struct Frame {
        var isObject: Bool
        var keys: Set<String> = []
        var key: String?
        var index = 0
        var expectingKey: Bool
    }

    private let bytes: [UInt8]
    private var position = 0
    private var frames: [Frame] = []

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private mutating func run() -> Finding? {
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "{"):
                frames.append(Frame(isObject: true, expectingKey: true))
                position += 1
            case UInt8(ascii: "["):
                frames.append(Frame(isObject: false, expectingKey: false))
                position += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard frames.popLast() != nil else { return nil }
                position += 1
            case UInt8(ascii: ","):
                guard !frames.isEmpty else { return nil }
                if frames[frames.count - 1].isObject {
                    frames[frames.count - 1].expectingKey = true
                } else {
                    frames[frames.count - 1].index += 1
                }
                position += 1
            case UInt8(ascii: ":"):
                guard !frames.isEmpty else { return nil }
                frames[frames.count - 1].expectingKey = false
                position += 1
            case UInt8(ascii: "\""):
                guard let (text, control) = readString() else { return nil }
                if let last = frames.indices.last, frames[last].isObject, frames[last].expectingKey {
                    if let control { return .controlCharacter(field: field(appending: text), scalar: control) }
                    guard frames[last].keys.insert(text).inserted else { return .duplicateKey(field: field(appending: text)) }
                    frames[last].key = text
                } else if let control {
                    return .controlCharacter(field: field(appending: nil), scalar: control)
                }
            default:
                // Whitespace, numbers, true/false/null: nothing to check.
                position += 1
            }
        }
        return nil
    }

    /// The dotted path of the value being read, as the decoder's messages name fields:
    /// `targetPath`, `headers.[0]`.
    private func field(appending key: String?) -> String {
        var parts: [String] = []
        for (offset, frame) in frames.enumerated() {
            let isLast = offset == frames.count - 1
            if frame.isObject {
                if isLast, let key {
                    parts.append(key)
                } else if let current = frame.key {
                    parts.append(current)
                }
            } else {
                parts.append("[\(frame.index)]")
            }
        }
        return parts.isEmpty ? "(body)" : parts.joined(separator: ".")
    }

    /// Reads the string starting at the opening quote; returns its text and the first control
    /// character in it (C0, DEL or C1, raw or escaped), or nil when the string is malformed.
    private mutating func readString() -> (String, UInt32?)? {
        position += 1
        var string = ""
        var control: UInt32?
        var pendingHigh: UInt32?
        func note(_ value: UInt32) {
            if control == nil, TextRules.isControl(value) { control = value }
        }
        var raw: [UInt8] = []
        func flushRaw() {
            guard !raw.isEmpty else { return }
            // Invalid UTF-8 was refused before the scan; decoding repairs nothing here.
            let text = String(decoding: raw, as: UTF8.self)
            // Printable ASCII holds no control; anything else is looked at scalar by scalar.
            if control == nil, !raw.allSatisfy({ (0x20...0x7E).contains($0) }) {
                for scalar in text.unicodeScalars { note(scalar.value) }
            }
            // One append of the run, not one per scalar: a 1 MiB torrent as base64 is one string
            // of 1.4 million characters, and appending them one by one was most of its create.
            string.append(text)
            raw.removeAll(keepingCapacity: true)
        }
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                flushRaw()
                position += 1
                return (string, control)
            case UInt8(ascii: "\\"):
                flushRaw()
                guard position + 1 < bytes.count else { return nil }
                let escape = bytes[position + 1]
                position += 2
                var value: UInt32
                switch escape {
                case UInt8(ascii: "n"): value = 0x0A
                case UInt8(ascii: "t"): value = 0x09
                case UInt8(ascii: "r"): value = 0x0D
                case UInt8(ascii: "b"): value = 0x08
                case UInt8(ascii: "f"): value = 0x0C
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count, let hex = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16)
                    else { return nil }
                    position += 4
                    value = hex
                default: value = UInt32(escape)
                }
                if (0xD800...0xDBFF).contains(value) {
                    pendingHigh = value
                    continue
                }
                if (0xDC00...0xDFFF).contains(value), let high = pendingHigh {
                    value = 0x10000 + ((high - 0xD800) << 10) + (value - 0xDC00)
                }
                pendingHigh = nil
                note(value)
                string.unicodeScalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default:
                // The run up to the next quote or backslash, copied whole: appended byte by
                // byte, a torrent's 1.4 MB of base64 was the largest cost of its create.
                let start = position
                position = bytes.withUnsafeBufferPointer { buffer in
                    var index = start + 1
                    while index < buffer.count, buffer[index] != UInt8(ascii: "\""), buffer[index] != UInt8(ascii: "\\") { index += 1 }
                    return index
                }
                raw.append(contentsOf: bytes[start..<position])
            }
        }
        return nil
    }
}
