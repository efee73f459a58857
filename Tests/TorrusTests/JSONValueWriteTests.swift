import Foundation
import Testing

@testable import Torrus

/// Every aria2 request is written by `JSONValue.write(to:)` instead of `JSONEncoder`: the same
/// JSON, hostile strings included.
struct JSONValueWriteTests {
    private static let values: [JSONValue] = [
        .null, true, false, 0, -7, 1_048_576, .number(0.5), .number(-1e20), .number(123_456_789_012_345),
        "", "plain", "quote \" backslash \\ slash / tab \t newline \n nul \u{0} del \u{7F} é 日本 🙂",
        ["token:secret", "2089b05ecca3d829", ["gid", "status", "files"]],
        ["dir": "/srv/a b", "out": "x\"y", "max-download-limit": 0, "nested": ["k": [1, 2, ["z": .null]]]],
        [],
        [:],
    ]

    @Test(arguments: values)
    func writesWhatTheEncoderMeans(_ value: JSONValue) throws {
        var written: [UInt8] = []
        try value.write(to: &written)
        // Same value back, whichever order an object's members came in.
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written)) == value)
        // Byte for byte where there is no member order to differ (`/` is left unescaped).
        if case .object = value {
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            #expect(String(decoding: written, as: UTF8.self) == String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    /// A file for `aria2.addTorrent` is written as its base64 text, as the string of it would be.
    @Test func bytesAreWrittenAsTheirBase64() throws {
        let bytes = Data((0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37) })
        var written: [UInt8] = []
        try JSONValue.array([.base64(bytes), "x"]).write(to: &written)
        #expect(String(decoding: written, as: UTF8.self) == "[\"\(bytes.base64EncodedString())\",\"x\"]")
        #expect(try JSONDecoder().decode(JSONValue.self, from: Data(written)) == [.string(bytes.base64EncodedString()), "x"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        #expect(String(decoding: try encoder.encode(JSONValue.base64(bytes)), as: UTF8.self) == "\"\(bytes.base64EncodedString())\"")
        #expect(JSONValue.base64(Data([0x0A, 0x00])).firstControlCharacter == nil)
    }

    @Test func refusesNumbersJSONCannotHold() {
        for number in [Double.infinity, -.infinity, .nan] {
            var written: [UInt8] = []
            #expect(throws: JSONValue.NotRepresentable.self) { try JSONValue.array([.number(number)]).write(to: &written) }
        }
    }
}
