import Crypto

/// The idempotency key of a create: SHA-256 (hex) of the trimmed source and the cleaned target
/// path. A NUL separates them, as neither can contain one, so no two pairs share a fingerprint.
enum Fingerprint {
    static func of(source: String, targetPath: String) -> String {
        let digest = SHA256.hash(data: Array((source + "\u{0}" + targetPath).utf8))
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
