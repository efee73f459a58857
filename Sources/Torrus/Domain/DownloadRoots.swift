import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The directories downloads may be written into (TORRUS_DOWNLOAD_ROOTS).
///
/// aria2 writes wherever it is told, with the daemon's permissions, so an API caller choosing the
/// directory must not be able to point it at /etc: not with '..', not through a symbolic link
/// planted below a root, and not through one swapped in after the download was created. Hence
/// two checks: `resolve` (lexical, when a request names a path) and `prepare` (on the file
/// system, when the download is created and every time it is handed to the downloader).
/// Symbolic links *below* a root are never followed; a root itself may be one (it is the
/// administrator's choice).
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

    /// Resolves the API's targetPath. nil or blank → first root. Otherwise it must be absolute and
    /// free of control characters; it is cleaned and must equal or lie inside one of the roots.
    /// Returns the cleaned path: the caller's spelling is what is stored and shown back.
    public func resolve(_ targetPath: String?) throws -> String {
        let raw = targetPath ?? ""
        if let control = TextRules.firstControl(in: raw) {
            throw TorrusError.invalidInput("targetPath must not contain control characters (found \(TextRules.describe(control.value)))")
        }
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return paths[0] }
        guard trimmed.utf8.first == UInt8(ascii: "/") else {
            throw TorrusError.invalidInput("targetPath must be an absolute path")
        }
        guard let cleaned = PathRules.clean(trimmed) else {
            throw TorrusError.invalidInput("targetPath must not contain NUL characters")
        }
        guard root(containing: cleaned) != nil else {
            throw TorrusError.invalidInput("targetPath \(cleaned) is not inside a download root (allowed: \(paths.joined(separator: ", ")))")
        }
        return cleaned
    }

    /// Makes `targetPath` (cleaned, inside a root) a real directory reached from its root without
    /// following any symbolic link, creating what is missing (mode 0755). Creating it when the
    /// download is created means nobody can later put a link where aria2 will write; checking it
    /// again at every hand-over catches a directory replaced by a link since.
    public func prepare(_ targetPath: String) throws {
        guard let root = root(containing: targetPath) else {
            throw TorrusError.invalidInput("targetPath \(targetPath) is not inside a download root (allowed: \(paths.joined(separator: ", ")))")
        }
        // A root is the administrator's: create it if needed, following links in it.
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let below = PathRules.components(targetPath).dropFirst(PathRules.components(root).count)
        switch NoFollowWalk.open(root, below, create: true) {
        case .success(let fd):
            close(fd)
        case .failure(.symbolicLink(let component)):
            throw TorrusError.invalidInput(
                "targetPath \(targetPath) goes through a symbolic link ('\(component)'); links below a download root are not followed"
            )
        case .failure(.notDirectory(let component)):
            throw TorrusError.invalidInput("targetPath \(targetPath) cannot be used: '\(component)' is not a directory")
        case .failure(.missing(let component)), .failure(.failed(let component, errno: ENOENT)):
            throw TorrusError.invalidInput("targetPath \(targetPath) cannot be created: '\(component)' does not exist")
        case .failure(.failed(let component, let error)):
            throw TorrusError.invalidInput("targetPath \(targetPath) cannot be created at '\(component)': \(String(cString: strerror(error)))")
        }
    }

    /// The root `path` lies in (the longest one, when roots nest), nil when none.
    public func root(containing path: String) -> String? {
        paths.filter { PathRules.isInside(path, root: $0, strictly: false) }.max { $0.utf8.count < $1.utf8.count }
    }
}
