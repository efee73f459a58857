import Foundation
import Testing

@testable import Torrus

/// The text Torrus reads and writes on every request without Foundation: download ids in paths
/// and rows (`UUID(text:)`), and the ids it generates for requests that bring none.
struct RequestPathTextTests {
    @Test func parsesWhatFoundationParsesAndFormatsWhatItFormats() {
        for _ in 0..<1000 {
            let uuid = UUID()
            #expect(UUID(text: uuid.uuidString) == uuid)
            #expect(UUID(text: uuid.uuidString.lowercased()) == uuid)
            #expect(uuid.lowercasedString == uuid.uuidString.lowercased())
            var bytes: [UInt8] = []
            uuid.appendLowercased(to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == uuid.uuidString.lowercased())
        }
        #expect(UUID(text: "00000000-0000-0000-0000-000000000000") == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        #expect(UUID(text: "FFFFFFFF-ffff-FfFf-fFfF-ffffffffffff")?.lowercasedString == "ffffffff-ffff-ffff-ffff-ffffffffffff")
        #expect(UUID(text: Substring("x0f0c1e2a-3b4c-4d5e-8f60-718293a4b5c6").dropFirst()) != nil)
    }

    /// Stricter than Foundation, whose `sscanf` takes the blank-led and the `+b4c` ones for UUIDs.
    @Test(arguments: [
        "", "0f0c1e2a-3b4c-4d5e-8f60-718293a4b5c", "0f0c1e2a-3b4c-4d5e-8f60-718293a4b5c6a", "0f0c1e2a3b4c-4d5e-8f60-718293a4b5c6a",
        "0f0c1e2a-3b4c-4d5e-8f60_718293a4b5c6", "0f0c1e2g-3b4c-4d5e-8f60-718293a4b5c6", " 0f0c1e2a-3b4c-4d5e-8f60-718293a4b5c",
        "0f0c1e2a-3b4c-4d5e-8f60-718293a4b5c ", "{f0c1e2a-3b4c-4d5e-8f60-718293a4b5c}", "0f0c1e2a-3b4c-4d5e-8f60-718293a4b5é",
        "0f0c1e2a-+b4c-4d5e-8f60-718293a4b5c6", "0f0c1e2a-3b4c-4d5e-8f60-7182\u{0}3a4b5c6",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(UUID(text: text) == nil)
    }

    @Test func generatedRequestIDsAreDistinctVersion4UUIDs() throws {
        var seen = Set<String>()
        for _ in 0..<20_000 {
            let id = GeneratedRequestID.next()
            let uuid = try #require(UUID(text: id), "'\(id)' is not a UUID")
            #expect(uuid.lowercasedString == id)
            #expect(uuid.uuid.6 >> 4 == 4, "version nibble of \(id)")
            #expect(uuid.uuid.8 >> 6 == 0b10, "variant bits of \(id)")
            seen.insert(id)
        }
        #expect(seen.count == 20_000)
    }

    /// Uniqueness rests on the mix being a bijection of 62 bits: distinct inputs, distinct outputs,
    /// nothing above bit 61.
    @Test func theCounterMixKeepsDistinctCountersDistinct() {
        var outputs = Set<UInt64>()
        for start: UInt64 in [0, (1 << 62) - 50_000] {
            for offset in UInt64(0)..<50_000 {
                let mixed = GeneratedRequestID.mix(start &+ offset)
                #expect(mixed < 1 << 62)
                outputs.insert(mixed)
            }
        }
        #expect(outputs.count == 100_000)
        // Only the low 62 bits count: the counter wraps there.
        #expect(GeneratedRequestID.mix(UInt64.max) == GeneratedRequestID.mix((1 << 62) - 1))
    }
}
