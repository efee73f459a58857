import Foundation

/// UUIDs as text on the request path, without Foundation's string handling: `UUID(uuidString:)`
/// parses with `sscanf`, and `uuidString` + `lowercased()` builds two strings.
extension UUID {
    /// Ids as the API shows them (and as most tools print UUIDs): lower case.
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { buffer in
            var index = 0
            Self.forEachCharacter(of: uuid) { character in
                buffer[index] = character
                index += 1
            }
            return index
        }
    }

    /// Lower-case 8-4-4-4-12 straight into `out`.
    public func appendLowercased(to out: inout [UInt8]) {
        Self.forEachCharacter(of: uuid) { out.append($0) }
    }

    /// The 8-4-4-4-12 form in either case, as `UUID(uuidString:)` accepts it, and nothing else.
    public init?(text: some StringProtocol) {
        var bytes = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) as uuid_t
        let parsed = text.utf8.withContiguousStorageIfAvailable { Self.parse($0, into: &bytes) } ?? Self.parse(Array(text.utf8), into: &bytes)
        guard parsed else { return nil }
        self.init(uuid: bytes)
    }

    private static func parse(_ text: some RandomAccessCollection<UInt8>, into uuid: inout uuid_t) -> Bool {
        guard text.count == 36 else { return false }
        return withUnsafeMutableBytes(of: &uuid) { out in
            var position = text.startIndex
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    guard text[position] == UInt8(ascii: "-") else { return false }
                    position = text.index(after: position)
                }
                guard let high = text[position].hexDigitValue, let low = text[text.index(after: position)].hexDigitValue else { return false }
                out[index] = high << 4 | low
                position = text.index(position, offsetBy: 2)
            }
            return true
        }
    }

    /// The 36 characters of the lower-case form, in order.
    static func forEachCharacter(of uuid: uuid_t, _ body: (UInt8) -> Void) {
        let hex: StaticString = "0123456789abcdef"
        withUnsafeBytes(of: uuid) { bytes in
            for (index, byte) in bytes.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 { body(UInt8(ascii: "-")) }
                body(hex.utf8Start[Int(byte >> 4)])
                body(hex.utf8Start[Int(byte & 0x0F)])
            }
        }
    }
}
