/// A bencoded value (BEP 3), read from untrusted bytes. The reader is iterative over a byte
/// array with a depth limit, checks every length against the bytes left before it allocates, and
/// keeps each dictionary value's byte range, so the info-hash is the SHA-1 of exactly the bytes
/// the client sent.
enum Bencode: Equatable {
    case integer(Int64)
    case bytes(ArraySlice<UInt8>)
    case list([Bencode])
    /// Keys in the order given (BEP 3 wants them sorted; aria2 does not insist, nor do we), each
    /// value with its range in the input.
    case dictionary([(key: ArraySlice<UInt8>, value: Bencode, range: Range<Int>)])

    /// Why bytes are not a bencoded value, with the offset where reading stopped.
    struct Malformed: Error, Equatable {
        var reason: String
        var offset: Int
    }

    /// Deeper nesting than any real torrent has (file paths are lists in dictionaries in a list in
    /// a dictionary): a bomb of `lllll…` stops here instead of exhausting the stack or memory.
    static let maxDepth = 32
    /// Values in all; a torrent of 100,000 files has about 500,000.
    static let maxValues = 1_000_000

    static func == (lhs: Bencode, rhs: Bencode) -> Bool {
        switch (lhs, rhs) {
        case (.integer(let a), .integer(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.dictionary(let a), .dictionary(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: false
        }
    }

    /// The one value `bytes` holds; anything after it is an error.
    static func decode(_ bytes: [UInt8]) throws(Malformed) -> Bencode {
        var reader = Reader(bytes: bytes)
        let value = try reader.value(depth: 0)
        guard reader.offset == bytes.count else { throw Malformed(reason: "bytes after the end of the value", offset: reader.offset) }
        return value
    }

    subscript(key: String) -> Bencode? {
        guard case .dictionary(let entries) = self else { return nil }
        let wanted = Array(key.utf8)
        return entries.first { $0.key.elementsEqual(wanted) }?.value
    }

    /// The byte range of the value under `key` in the input, for a dictionary.
    func range(of key: String) -> Range<Int>? {
        guard case .dictionary(let entries) = self else { return nil }
        let wanted = Array(key.utf8)
        return entries.first { $0.key.elementsEqual(wanted) }?.range
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var values = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        // Recursion is bounded by `maxDepth`, so the stack cannot be exhausted.
        mutating func value(depth: Int) throws(Malformed) -> Bencode {
            guard depth < Bencode.maxDepth else { throw fail("nested deeper than \(Bencode.maxDepth) levels") }
            values += 1
            guard values <= Bencode.maxValues else { throw fail("more than \(Bencode.maxValues) values") }
            guard offset < bytes.count else { throw fail("truncated") }
            switch bytes[offset] {
            case UInt8(ascii: "i"):
                offset += 1
                let number = try integer(until: UInt8(ascii: "e"))
                return .integer(number)
            case UInt8(ascii: "l"):
                offset += 1
                var items: [Bencode] = []
                while try !atEnd() { items.append(try value(depth: depth + 1)) }
                return .list(items)
            case UInt8(ascii: "d"):
                offset += 1
                var entries: [(key: ArraySlice<UInt8>, value: Bencode, range: Range<Int>)] = []
                var keys = Set<ArraySlice<UInt8>>()
                while try !atEnd() {
                    guard bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") else {
                        throw fail("a dictionary key is not a string")
                    }
                    let key = try string()
                    guard keys.insert(key).inserted else { throw fail("a dictionary key repeats") }
                    let start = offset
                    let item = try value(depth: depth + 1)
                    entries.append((key, item, start..<offset))
                }
                return .dictionary(entries)
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                return .bytes(try string())
            default:
                throw fail("unexpected byte 0x\(String(bytes[offset], radix: 16))")
            }
        }

        /// Consumes the `e` that closes a list or dictionary; false when another value follows.
        mutating func atEnd() throws(Malformed) -> Bool {
            guard offset < bytes.count else { throw fail("truncated: a list or dictionary is not closed") }
            if bytes[offset] == UInt8(ascii: "e") {
                offset += 1
                return true
            }
            return false
        }

        /// `<length>:<bytes>`, the length checked against what is left before anything is read.
        mutating func string() throws(Malformed) -> ArraySlice<UInt8> {
            let length = try integer(until: UInt8(ascii: ":"))
            guard length >= 0, length <= bytes.count - offset else { throw fail("a string is longer than the bytes left") }
            let start = offset
            offset += Int(length)
            return bytes[start..<offset]
        }

        /// Decimal digits up to `terminator`: no leading zeros, no `-0`, at most 18 digits.
        mutating func integer(until terminator: UInt8) throws(Malformed) -> Int64 {
            let start = offset
            var negative = false
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") {
                negative = true
                offset += 1
            }
            let digitsStart = offset
            var value: Int64 = 0
            while offset < bytes.count, bytes[offset] != terminator {
                let byte = bytes[offset]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), offset - digitsStart < 18 else {
                    offset = start
                    throw fail("not a number")
                }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
                offset += 1
            }
            guard offset < bytes.count else { throw fail("truncated") }
            let digits = offset - digitsStart
            guard digits > 0, !(digits > 1 && bytes[digitsStart] == UInt8(ascii: "0")), !(negative && value == 0) else {
                throw fail("not a canonical number")
            }
            offset += 1  // the terminator
            return negative ? -value : value
        }

        func fail(_ reason: String) -> Malformed { Malformed(reason: reason, offset: offset) }
    }
}
