import Foundation
import Glibc

/// What torrusd checks on the machine before it starts anything, so that a setting it cannot use
/// stops it with one clear line (`StartupError`) instead of an error from deep inside: the data
/// directory and download roots can be created and written to, and the managed aria2c exists.
public enum StartupCheck {
    public static func run(_ configuration: TorrusConfiguration) throws(StartupError) {
        let managedAria2 = configuration.client == .aria2 && configuration.aria2RPCURL == nil
        if configuration.storage == .sqlite || managedAria2 || configuration.downloadRoots.isEmpty {
            try writableDirectory(configuration.dataDirectory, key: .dataDirectory)
        }
        let rootsKey: TorrusConfiguration.Key = configuration.downloadRoots.isEmpty ? .dataDirectory : .downloadRoots
        for root in configuration.effectiveDownloadRoots {
            try writableDirectory(root, key: rootsKey)
        }
        if managedAria2 {
            try executable(configuration.aria2Executable, key: .aria2Executable)
        }
    }

    /// Creates `path` (with its parents) if missing, then creates and removes a file in it: the
    /// only test of writability that also holds for root, who ignores permission bits.
    static func writableDirectory(_ path: String, key: TorrusConfiguration.Key) throws(StartupError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard fileType(info) == S_IFDIR else {
                    throw index == components.count - 1
                        ? StartupError(key, path, "is not a directory")
                        : StartupError(key, path, "cannot be created: \(prefix) is not a directory")
                }
                continue
            }
            guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
                throw StartupError(key, path, "cannot be created: \(StartupError.text(errno: errno))")
            }
        }
        let probe = path + "/.torrus-write-check-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StartupError(key, path, "is not writable: \(StartupError.text(errno: errno))")
        }
        close(descriptor)
        unlink(probe)
    }

    /// `name` is a path to an executable file, or (without a slash) one on `PATH`, the way
    /// `posix_spawnp` looks it up.
    static func executable(_ name: String, key: TorrusConfiguration.Key) throws(StartupError) {
        if name.contains("/") {
            var info = stat()
            guard stat(name, &info) == 0 else {
                throw StartupError(key, "'\(name)'", "cannot be started: \(StartupError.text(errno: errno))")
            }
            guard fileType(info) == S_IFREG, access(name, X_OK) == 0 else {
                throw StartupError(key, "'\(name)'", "cannot be started: not an executable file")
            }
            return
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            var info = stat()
            if stat(candidate, &info) == 0, fileType(info) == S_IFREG, access(candidate, X_OK) == 0 { return }
        }
        throw StartupError(key, "'\(name)'", "cannot be started: no such executable on PATH")
    }

    private static func fileType(_ info: stat) -> mode_t {
        info.st_mode & S_IFMT
    }
}
