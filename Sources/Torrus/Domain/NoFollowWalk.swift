#if canImport(Glibc)
    import Glibc
#endif

/// Walks down from a trusted directory one component at a time, each opened relative to the
/// previous descriptor with `O_NOFOLLOW`: no symbolic link below the start is ever followed, and
/// no path string is re-resolved from the top, so a link swapped in while walking cannot
/// redirect the walk.
enum NoFollowWalk {
    enum Failure: Error, Equatable {
        /// The start or a component does not exist (never when creating).
        case missing(String)
        case symbolicLink(String)
        /// A component exists but is not a directory.
        case notDirectory(String)
        case failed(String, errno: Int32)
    }

    /// A descriptor of `start`/`components`, which the caller closes. With `create`, missing
    /// directories are made (mode 0755, less the umask) on the way down.
    static func open(_ start: String, _ components: some Sequence<String>, create: Bool = false) -> Result<Int32, Failure> {
        var fd = Glibc.open(start, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(errno == ENOENT ? .missing(start) : .failed(start, errno: errno)) }
        for component in components {
            guard !component.isEmpty, component != ".", component != ".." else {
                close(fd)
                return .failure(.failed(component, errno: EINVAL))
            }
            if create, mkdirat(fd, component, 0o755) != 0, errno != EEXIST {
                let error = errno
                close(fd)
                return .failure(.failed(component, errno: error))
            }
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 {
                let failure = classify(parent: fd, component, errno: errno)
                close(fd)
                return .failure(failure)
            }
            close(fd)
            fd = next
        }
        return .success(fd)
    }

    /// Linux reports a symlink opened with O_NOFOLLOW | O_DIRECTORY as ELOOP or ENOTDIR; lstat
    /// tells a link from a plain file.
    private static func classify(parent: Int32, _ component: String, errno error: Int32) -> Failure {
        switch error {
        case ENOENT: return .missing(component)
        case ELOOP: return .symbolicLink(component)
        case ENOTDIR:
            var info = stat()
            guard fstatat(parent, component, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return .failed(component, errno: errno) }
            return info.st_mode & S_IFMT == S_IFLNK ? .symbolicLink(component) : .notDirectory(component)
        default: return .failed(component, errno: error)
        }
    }
}
