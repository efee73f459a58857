import Foundation
import Synchronization

/// Ids for requests that bring no usable `X-Request-ID`: UUID-shaped (version 4, RFC 9562
/// variant), without a system call per request — Foundation's `UUID()` opens, reads and closes
/// `/dev/urandom` every time, a fifth of what a cached `GET` costs.
///
/// Not Hummingbird's own `context.id`: generated ids have always been UUIDs (the API tests pin
/// it), and that one is not.
///
/// Unique, not secret: the first half is random per process, the second a counter run through a
/// bijection (so neighbouring requests do not look alike in a log), unique for 2^62 requests.
enum GeneratedRequestID {
    /// Random, with the version nibble (byte 6) set to 4.
    private static let prefix = UInt64.random(in: .min ... .max) & ~0xF000 | 0x4000
    private static let counter = Atomic<UInt64>(UInt64.random(in: .min ... .max))

    static func next() -> String {
        let count = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        // The variant bits (10) lead byte 8, above 62 bits of the mixed counter.
        let suffix = 0x8000_0000_0000_0000 | mix(count)
        let uuid = UUID(uuid: withUnsafeBytes(of: (prefix.bigEndian, suffix.bigEndian)) { $0.load(as: uuid_t.self) })
        return uuid.lowercasedString
    }

    /// A bijection of the low 62 bits (xor-shifts and odd multipliers modulo 2^62 are each
    /// invertible), so distinct counters give distinct ids.
    static func mix(_ value: UInt64) -> UInt64 {
        let mask: UInt64 = (1 << 62) - 1
        var x = value & mask
        x = ((x ^ (x >> 31)) &* 0x7FB5_D329_728E_A185) & mask
        x = ((x ^ (x >> 27)) &* 0x81DA_DEF4_BC2D_D44D) & mask
        return x ^ (x >> 33)
    }
}
