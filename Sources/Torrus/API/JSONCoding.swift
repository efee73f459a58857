import Foundation

/// The one JSON encoder configuration for every response, so all of them look alike: keys in a
/// stable (sorted) order and `/` left unescaped.
enum JSONCoding {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
