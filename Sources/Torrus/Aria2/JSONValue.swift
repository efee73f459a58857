import Foundation

/// Any JSON value, for aria2's loosely typed parameters (strings, option objects, arrays) and
/// for results Torrus passes through without a model.
public enum JSONValue: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByBooleanLiteral
{
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
    /// Bytes sent as their base64 text (a file for `aria2.addTorrent`). Written straight from the
    /// bytes, never made a `String` to be checked and escaped: base64 holds neither a control
    /// character nor anything to escape, and a 1 MiB torrent is 1.4 MB of it. Decoding never
    /// gives this case.
    case base64(Data)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .base64(let bytes): try container.encode(bytes.base64EncodedString())
        }
    }
}

extension JSONValue {
    /// Appends this value as JSON, as `encode(to:)` would write it (integers without a fraction),
    /// in a fraction of `JSONEncoder`'s time: every aria2 request is written here. Throws for a
    /// number JSON cannot hold (infinite or NaN).
    func write(to out: inout [UInt8]) throws(JSONValue.NotRepresentable) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            guard value.isFinite else { throw NotRepresentable(value: value) }
            JSONText.number(value, to: &out)
        case .string(let value): JSONText.string(value, to: &out)
        case .array(let values):
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.string(key, to: &out)
                out.append(UInt8(ascii: ":"))
                try value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .base64(let bytes):
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes.base64EncodedData())
            out.append(UInt8(ascii: "\""))
        }
    }

    struct NotRepresentable: Error, CustomStringConvertible {
        var value: Double
        var description: String { "\(value) is not a JSON number" }
    }

    /// The first control character in any string or key of this value, nested ones included.
    var firstControlCharacter: Unicode.Scalar? {
        switch self {
        case .string(let value): TextRules.firstControl(in: value)
        case .array(let values): values.lazy.compactMap(\.firstControlCharacter).first
        case .object(let members):
            members.lazy.compactMap { key, value in TextRules.firstControl(in: key) ?? value.firstControlCharacter }.first
        case .null, .bool, .number, .base64: nil
        }
    }
}
