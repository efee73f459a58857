import Foundation

/// Lexical path handling for the security checks on download directories and deletions.
///
/// Everything works on UTF-8 bytes, never on `Character`s: Swift compares strings by canonical equivalence
/// and groups a '/' with a following combining mark into one Character, while the kernel sees raw bytes.
/// A check that disagreed with the kernel about where a component ends, or about whether two names are
/// equal, would be a way around it.
public enum PathRules {
    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")

    /// Lexically cleans an absolute POSIX path like Go's path.Clean: collapses repeated '/', removes '.', resolves '..'
    /// (never above '/'), removes a trailing '/'. Returns nil for a relative or empty path or one containing NUL.
    public static func clean(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        // A NUL would silently truncate the path at the C boundary, so what we checked is not what gets opened.
        guard bytes.first == slash, !bytes.contains(0) else { return nil }
        var kept: [ArraySlice<UInt8>] = []
        for component in bytes.split(separator: slash) {
            if component.elementsEqual([dot]) { continue }
            if component.elementsEqual([dot, dot]) {
                _ = kept.popLast()
                continue
            }
            kept.append(component)
        }
        return join(kept)
    }

    /// Component-wise containment on cleaned paths: "/a/bc" is NOT inside "/a/b". `strictly: true` excludes equality.
    public static func isInside(_ path: String, root: String, strictly: Bool) -> Bool {
        guard let path = clean(path), let root = clean(root) else { return false }
        let pathBytes = Array(path.utf8)
        let rootBytes = Array(root.utf8)
        if pathBytes == rootBytes { return !strictly }
        if rootBytes == [slash] { return true }
        return pathBytes.count > rootBytes.count && pathBytes.starts(with: rootBytes) && pathBytes[rootBytes.count] == slash
    }

    /// The components of a path as the kernel would split it ("/a//b/" → ["a", "b"]); "." and ".." are kept
    /// as-is, so callers can refuse them instead of having them resolved lexically.
    static func components(_ path: String) -> [String] {
        Array(path.utf8).split(separator: slash).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether any component is exactly "..", the only way a lexically-inside-looking path can climb out.
    static func hasParentReference(_ path: String) -> Bool {
        Array(path.utf8).split(separator: slash).contains { $0.elementsEqual([dot, dot]) }
    }

    private static func join(_ components: [ArraySlice<UInt8>]) -> String {
        guard !components.isEmpty else { return "/" }
        var bytes: [UInt8] = []
        for component in components {
            bytes.append(slash)
            bytes.append(contentsOf: component)
        }
        // Splitting valid UTF-8 at an ASCII byte leaves valid UTF-8, so decoding reproduces the input bytes exactly.
        return String(decoding: bytes, as: UTF8.self)
    }
}
