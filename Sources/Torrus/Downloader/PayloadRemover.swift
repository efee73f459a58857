import Foundation
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// The safe "DELETE with deleteFiles" deletion, used by every downloader.
///
/// The file list comes from the downloader, and ultimately from a torrent or a remote server, so it is treated
/// as hostile: every candidate must lie strictly inside the download's directory, and the walk to it goes
/// through directory file descriptors opened with O_NOFOLLOW, so neither a planted symlink nor one swapped in
/// between check and delete can redirect an unlink outside that directory.
public struct PayloadRemover: Sendable {
    /// Paths removed, and paths refused or failed (no reason: the caller only logs them).
    public struct Report: Sendable, Equatable {
        public var removed: [String]
        public var skipped: [String]

        public init(removed: [String] = [], skipped: [String] = []) {
            self.removed = removed
            self.skipped = skipped
        }
    }

    public init() {}

    /// Deletes the files of one download. `files` are absolute paths as the downloader reported them; `name` is the
    /// download's top-level name (a torrent's directory or a single file's name) if known; `targetPath` is the
    /// download's directory. Candidates: each file, each file + ".aria2", and if name is given targetPath/name and
    /// targetPath/name + ".aria2". Only candidates strictly inside targetPath are touched, never through a symlink;
    /// a directory candidate goes only if empty; missing files are in neither list. Directories emptied by the
    /// deletion are pruned up to (not including) targetPath.
    ///
    /// `root` is the download root that holds `targetPath`: the walk starts there, so a `targetPath`
    /// (or a parent of it) replaced by a symbolic link deletes nothing. Without it the walk starts
    /// at `targetPath` itself.
    public func remove(files: [String], name: String?, in targetPath: String, root downloadRoot: String? = nil) -> Report {
        var report = Report()
        // aria2 reports "" for the files of a magnet whose metadata never arrived: nothing was written for them.
        var candidates: [String] = []
        for file in files where !file.isEmpty {
            candidates.append(file)
            candidates.append(file + ".aria2")
        }
        if let name, !name.isEmpty {
            let base = targetPath + "/" + name
            candidates.append(base)
            candidates.append(base + ".aria2")
        }

        guard let root = PathRules.clean(targetPath), let start = PathRules.clean(downloadRoot ?? targetPath),
            PathRules.isInside(root, root: start, strictly: false)
        else {
            report.skipped = unique(candidates)
            return report
        }

        let walk = Walk(start: start, below: Array(PathRules.components(root).dropFirst(PathRules.components(start).count)))
        var seen = Set<[UInt8]>()
        // Keyed by bytes: String keys would merge names that differ only in Unicode normalization.
        var directories: [[UInt8]: Prune] = [:]
        for candidate in candidates {
            // '..' is refused outright rather than resolved: the kernel resolves it after following symlinks,
            // so a lexical resolution could name a different file than the one the downloader meant.
            guard !PathRules.hasParentReference(candidate),
                let cleaned = PathRules.clean(candidate),
                PathRules.isInside(cleaned, root: root, strictly: true)
            else {
                if seen.insert(Array(candidate.utf8)).inserted { report.skipped.append(candidate) }
                continue
            }
            guard seen.insert(Array(cleaned.utf8)).inserted else { continue }
            let relative = Array(PathRules.components(cleaned).dropFirst(PathRules.components(root).count))

            switch unlinkFile(walk, relative: relative) {
            case .removed:
                report.removed.append(cleaned)
                for depth in 1..<relative.count {
                    let parent = Array(relative[..<depth])
                    let key = Array(parent.joined(separator: "/").utf8)
                    if directories[key] == nil { directories[key] = Prune(relative: parent, isCandidate: false) }
                }
            case .absent:
                break
            case .refused:
                report.skipped.append(cleaned)
            case .directory:
                directories[Array(relative.joined(separator: "/").utf8), default: Prune(relative: relative, isCandidate: true)]
                    .isCandidate = true
            }
        }

        // Deepest first, so a directory is tried only after everything below it had its chance to go.
        let ordered = directories.sorted {
            $0.value.relative.count != $1.value.relative.count
                ? $0.value.relative.count > $1.value.relative.count
                : $0.key.lexicographicallyPrecedes($1.key)
        }.map(\.value)
        for directory in ordered {
            let path = (root == "/" ? "" : root) + "/" + directory.relative.joined(separator: "/")
            switch removeEmptyDirectory(walk, relative: directory.relative) {
            case .removed:
                report.removed.append(path)
            case .absent:
                break
            case .refused, .directory:
                // Emptied-parent pruning is best effort; only a named candidate staying behind is worth reporting.
                if directory.isCandidate { report.skipped.append(path) }
            }
        }
        return report
    }

    /// `remove` for async callers (a DELETE request): the walk's blocking file system calls run on
    /// `NIOThreadPool.singleton`, never on a thread of the cooperative pool. The same report; if
    /// the pool does not take the work (the caller was cancelled first), it is done here, as a
    /// DELETE the downloader already carried out must not keep its files.
    public func remove(files: [String], name: String?, in targetPath: String, root downloadRoot: String? = nil) async -> Report {
        let work: @Sendable () -> Report = { self.remove(files: files, name: name, in: targetPath, root: downloadRoot) }
        do {
            return try await NIOThreadPool.singleton.runIfActive(work)
        } catch {
            return work()
        }
    }

    // MARK: - File-descriptor walk

    private struct Prune {
        var relative: [String]
        var isCandidate: Bool
    }

    private enum Outcome {
        case removed, absent, refused
        /// The candidate is a real directory: handled later, once the files inside it are gone.
        case directory
    }

    /// Where the walk to a candidate starts (the download root, trusted) and the components from
    /// there to `targetPath`, which are walked like the candidate's own.
    private struct Walk {
        var start: String
        var below: [String]
    }

    /// Runs `body` with a descriptor of targetPath/relative's parent (reached from the start
    /// without following symlinks) and the last component.
    private func atParent(_ walk: Walk, relative: [String], _ body: (Int32, String) -> Outcome) -> Outcome {
        guard let leaf = relative.last else { return .refused }
        switch NoFollowWalk.open(walk.start, walk.below + relative.dropLast()) {
        case .success(let parent):
            defer { close(parent) }
            return body(parent, leaf)
        // A missing directory, or a plain file where a directory was expected, means the
        // candidate cannot exist; a symlink or anything else is a refusal.
        case .failure(.missing), .failure(.notDirectory): return .absent
        case .failure(.symbolicLink), .failure(.failed): return .refused
        }
    }

    /// Unlinks root/relative if it is a regular (non-directory, non-symlink) entry.
    private func unlinkFile(_ walk: Walk, relative: [String]) -> Outcome {
        atParent(walk, relative: relative) { parent, leaf in
            var info = stat()
            guard fstatat(parent, leaf, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return errno == ENOENT ? .absent : .refused }
            switch info.st_mode & S_IFMT {
            case S_IFLNK: return .refused
            case S_IFDIR: return .directory
            default: break
            }
            // Without AT_REMOVEDIR, unlinkat never follows a symlink swapped in since the fstatat: at worst it
            // removes that link, and a directory swapped in makes it fail.
            guard unlinkat(parent, leaf, 0) == 0 else { return errno == ENOENT ? .absent : .refused }
            return .removed
        }
    }

    /// Removes root/relative if it is a real, empty directory.
    private func removeEmptyDirectory(_ walk: Walk, relative: [String]) -> Outcome {
        atParent(walk, relative: relative) { parent, leaf in
            var info = stat()
            guard fstatat(parent, leaf, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return errno == ENOENT ? .absent : .refused }
            guard info.st_mode & S_IFMT == S_IFDIR else { return .refused }
            // rmdir semantics: a non-empty directory fails (ENOTEMPTY), and a symlink swapped in fails (ENOTDIR).
            guard unlinkat(parent, leaf, AT_REMOVEDIR) == 0 else { return errno == ENOENT ? .absent : .refused }
            return .removed
        }
    }

    private func unique(_ paths: [String]) -> [String] {
        var seen = Set<[UInt8]>()
        return paths.filter { seen.insert(Array($0.utf8)).inserted }
    }
}
