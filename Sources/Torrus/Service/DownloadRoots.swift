import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The directories downloads may be written into (TORRUS_DOWNLOAD_ROOTS).
///
/// aria2 writes wherever it is told, with the daemon's permissions, so an API caller choosing the directory
/// must not be able to point it at /etc, neither with '..' nor through a symlink planted inside a root.
public struct DownloadRoots: Sendable, Equatable {
    public let paths: [String]  // cleaned, at least one

    /// Each must be absolute; cleans them; throws TorrusError.invalidInput for an empty list or a relative path.
    public init(_ paths: [String]) throws {
        guard !paths.isEmpty else {
            throw TorrusError.invalidInput("download roots must list at least one absolute directory")
        }
        self.paths = try paths.map { raw in
            guard let cleaned = PathRules.clean(raw) else {
                throw TorrusError.invalidInput("download root \"\(raw)\" must be an absolute path")
            }
            return cleaned
        }
    }

    /// Resolves the API's targetPath. nil or empty-after-trim → first root. Otherwise it must be absolute, it is
    /// cleaned, and it must equal or lie inside one of the roots — checked both lexically and after resolving
    /// symlinks in the longest existing prefix of the path, so a symlink inside a root that points to /etc is rejected.
    /// Returns the cleaned (not symlink-resolved) path: the caller's spelling is what is stored and shown back.
    public func resolve(_ targetPath: String?) throws -> String {
        let trimmed = (targetPath ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return paths[0] }
        guard trimmed.utf8.first == UInt8(ascii: "/") else {
            throw TorrusError.invalidInput("targetPath must be an absolute path")
        }
        guard let cleaned = PathRules.clean(trimmed) else {
            throw TorrusError.invalidInput("targetPath must not contain NUL characters")
        }
        let allowed = paths.joined(separator: ", ")
        guard paths.contains(where: { PathRules.isInside(cleaned, root: $0, strictly: false) }) else {
            throw TorrusError.invalidInput("targetPath \(cleaned) is not inside a download root (allowed: \(allowed))")
        }
        // Roots are resolved on every call rather than once at start-up: a root may be created or re-mounted later.
        guard let physicalTarget = Self.physicalPath(of: cleaned),
            paths.contains(where: { root in
                Self.physicalPath(of: root).map { PathRules.isInside(physicalTarget, root: $0, strictly: false) } ?? false
            })
        else {
            throw TorrusError.invalidInput(
                "targetPath \(cleaned) leads outside the download roots through a symbolic link (allowed: \(allowed))"
            )
        }
        return cleaned
    }

    /// The path with symlinks resolved in its longest existing prefix; the missing remainder is appended as-is,
    /// since names that do not exist yet cannot be symlinks. "Existing" is decided by lstat, so a dangling symlink
    /// counts as existing and makes realpath fail (→ nil) instead of being silently treated as a future directory
    /// that aria2 would then create wherever the link points.
    static func physicalPath(of cleaned: String) -> String? {
        let components = PathRules.components(cleaned)
        var prefix = ""
        var existing = 0
        var info = stat()
        for component in components {
            let next = prefix + "/" + component
            guard lstat(next, &info) == 0 else { break }
            prefix = next
            existing += 1
        }
        guard let resolved = realpath(prefix.isEmpty ? "/" : prefix, nil) else { return nil }
        defer { free(resolved) }
        var result = String(cString: resolved)
        for component in components[existing...] {
            if result != "/" { result += "/" }
            result += component
        }
        return result
    }
}
