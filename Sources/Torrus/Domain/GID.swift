/// An aria2 GID: exactly 16 hex digits. Torrus generates it before handing a download to the
/// downloader, so a crash between "persist" and "start" never orphans a transfer.
public struct GID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts 16 hex digits in either case; stores lower case, as aria2 reports GIDs.
    public init?(rawValue: String) {
        guard rawValue.utf8.count == 16, rawValue.utf8.allSatisfy(\.isHexDigit) else { return nil }
        self.rawValue = rawValue.lowercased()
    }

    /// A fresh random GID. aria2 rejects the all-zero GID, so never produce it.
    public static func random() -> GID {
        var generator = SystemRandomNumberGenerator()
        var value: UInt64 = 0
        while value == 0 { value = generator.next() }
        let hex = String(value, radix: 16)
        return GID(rawValue: String(repeating: "0", count: 16 - hex.count) + hex)!
    }

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let gid = GID(rawValue: string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a 16-hex-digit GID: \(string)")
        }
        self = gid
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension UInt8 {
    var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
