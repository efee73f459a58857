import Testing

@testable import Torrus

struct JSONBodyScannerTests {
    private func scan(_ text: String) -> JSONBodyScanner.Finding? {
        JSONBodyScanner.scan(Array(text.utf8))
    }

    @Test func cleanBodiesHaveNoFinding() {
        #expect(scan(#"{"a":"x","b":[1,"y",{"c":null}],"d":{"e":"\u00e9\"\\"}}"#) == nil)
        #expect(scan(#"{"a":{"k":1},"b":{"k":2}}"#) == nil)  // the same key in two objects is fine
        #expect(scan(#"[{"k":1},{"k":2}]"#) == nil)
        #expect(scan("{\"emoji\":\"\\ud83d\\ude00\"}") == nil)
    }

    @Test func duplicatesAreFoundAfterUnescaping() {
        #expect(scan(#"{"a":1,"a":2}"#) == .duplicateKey(field: "a"))
        #expect(scan(#"{"a":1,"\u0061":2}"#) == .duplicateKey(field: "a"))
        #expect(scan(#"{"o":{"x":1,"y":2,"x":3}}"#) == .duplicateKey(field: "o.x"))
        #expect(scan(#"{"list":[{"k":1},{"k":1,"k":2}]}"#) == .duplicateKey(field: "list.[1].k"))
    }

    @Test func controlCharactersAreFoundRawOrEscapedAndNamed() {
        #expect(scan(#"{"a":"x\ny"}"#) == .controlCharacter(field: "a", scalar: 0x0A))
        #expect(scan(#"{"a":"x\u007f"}"#) == .controlCharacter(field: "a", scalar: 0x7F))
        #expect(scan("{\"a\":\"x\u{85}\"}") == .controlCharacter(field: "a", scalar: 0x85))
        #expect(scan(#"{"h":["ok","bad\r"]}"#) == .controlCharacter(field: "h.[1]", scalar: 0x0D))
        #expect(scan(#"{"o":{"deep":"\t"}}"#) == .controlCharacter(field: "o.deep", scalar: 0x09))
        #expect(scan(#""\u0000""#) == .controlCharacter(field: "(body)", scalar: 0))
        #expect(scan(#"{"k\u0001":1}"#) == .controlCharacter(field: "k\u{01}", scalar: 1))
    }

    @Test func malformedJSONIsLeftToTheDecoder() {
        #expect(scan(#"{"a":"unterminated"#) == nil)
        #expect(scan("}}]]") == nil)
        #expect(scan(#"{"a":"\u12"}"#) == nil)
    }
}
