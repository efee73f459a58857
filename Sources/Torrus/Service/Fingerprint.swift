import Crypto

/// The idempotency key of a create: SHA-256 (hex) of the trimmed source and the cleaned target
/// path, and of the mirrors and the file name (`options.out`) when given — they make another
/// download of the same source. A NUL separates the parts, as none can contain one, so no two
/// creates share a fingerprint; without mirrors and name it is what it always was.
enum Fingerprint {
    static func of(source: String, targetPath: String, mirrors: [String] = [], out: String? = nil) -> String {
        var text = source + "\u{0}" + targetPath
        for mirror in mirrors { text += "\u{0}mirror=" + mirror }
        if let out { text += "\u{0}out=" + out }
        return SHA256.hash(data: Array(text.utf8)).lowercaseHex
    }
}
