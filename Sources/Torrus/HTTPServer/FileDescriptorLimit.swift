import Glibc
import Logging

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`). Every connection holds one,
/// and the soft limit is often 1024 or 20,000 while the hard limit is far higher.
struct FileDescriptorLimit: Equatable, Sendable {
    var soft: UInt64
    var hard: UInt64

    static func current() -> FileDescriptorLimit? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return FileDescriptorLimit(soft: UInt64(limit.rlim_cur), hard: UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard limit (allowed without privileges) and returns the limit
    /// in force afterwards. Never fails startup: if raising is refused, the old limit stays and
    /// a warning says so.
    @discardableResult
    static func raiseSoftToHard(logger: Logger) -> FileDescriptorLimit? {
        guard let before = current() else {
            logger.warning("Cannot read the open file limit", metadata: ["errno": "\(errno)"])
            return nil
        }
        guard before.soft < before.hard else {
            logger.debug("Open file limit", metadata: ["soft": "\(before.soft)", "hard": "\(before.hard)"])
            return before
        }
        var limit = rlimit(rlim_cur: rlim_t(before.hard), rlim_max: rlim_t(before.hard))
        guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            logger.warning(
                "Cannot raise the open file limit",
                metadata: ["soft": "\(before.soft)", "hard": "\(before.hard)", "error": "\(String(cString: strerror(errno)))"]
            )
            return before
        }
        let after = current() ?? before
        logger.info("Raised the open file limit", metadata: ["from": "\(before.soft)", "to": "\(after.soft)"])
        return after
    }

    /// How many connections fit next to the descriptors Torrus needs for everything else (the
    /// database, aria2 connections, logs, connections being answered 503).
    func connectionCapacity(reserve: UInt64 = 128) -> Int {
        Int(clamping: soft > reserve ? soft - reserve : 1)
    }
}
