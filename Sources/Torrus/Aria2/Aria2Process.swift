import Dispatch
import Foundation
import Glibc
import Synchronization

/// Launches and stops one `aria2c` RPC daemon (torrusd's managed mode, and tests).
///
/// Security notes:
/// - The RPC secret is passed in argv only (`--rpc-secret=`) and never logged or put in an error.
///   argv is visible to other users of the same host through `ps`/`/proc`; the RPC port listens
///   on loopback only (`--rpc-listen-all=false`), so the secret guards against other local
///   processes, not against local users who can read process lists.
/// - aria2c's stdout/stderr go to `Options.logFile` (appended, mode 0600) or to /dev/null when it
///   is nil; `--quiet=true` keeps them nearly empty anyway. stdin is /dev/null.
/// - Only the PID this instance spawned is ever signalled, and only while it is not yet reaped
///   (signals and reaping happen under the same lock, so a recycled PID is never hit).
///
/// The child also gets `--stop-with-process=<our pid>`: aria2c exits by itself if this process
/// dies without stopping it. File descriptors other than 0-2 are not inherited.
public final class Aria2Process: @unchecked Sendable {
    public struct Options: Sendable {
        /// Looked up in PATH when it contains no slash.
        public var executable: String
        /// The download directory (`--dir`). Created if missing.
        public var directory: String
        /// If set: `--save-session=F --save-session-interval=N --force-save=false`, plus
        /// `--input-file=F` when F exists.
        public var sessionFile: String?
        public var saveSessionInterval: Int
        /// The RPC secret. Empty means: generate a random one (read it back from `secret`).
        public var secret: String
        /// nil: pick a free loopback port (bind 127.0.0.1:0, read it, close it).
        public var port: Int?
        /// Where aria2c's stdout and stderr go (appended); nil = /dev/null.
        public var logFile: String?
        /// How long `start()` waits for the RPC port to accept connections.
        public var startTimeout: Duration
        /// Appended last, so they override the defaults (e.g. `--max-concurrent-downloads=5`).
        public var extraArguments: [String]

        public init(
            executable: String = "aria2c",
            directory: String,
            sessionFile: String? = nil,
            saveSessionInterval: Int = 1,
            secret: String,
            port: Int? = nil,
            logFile: String? = nil,
            startTimeout: Duration = .seconds(10),
            extraArguments: [String] = []
        ) {
            self.executable = executable
            self.directory = directory
            self.sessionFile = sessionFile
            self.saveSessionInterval = saveSessionInterval
            self.secret = secret
            self.port = port
            self.logFile = logFile
            self.startTimeout = startTimeout
            self.extraArguments = extraArguments
        }
    }

    private let options: Options
    private let state: Mutex<State>

    private struct State {
        var port: Int
        var child: Child?
    }

    public init(options: Options) {
        var options = options
        if options.secret.isEmpty { options.secret = Aria2Process.randomSecret() }
        self.options = options
        // A failing port probe (no sockets left?) falls back to aria2's default port; start()
        // then reports whatever goes wrong.
        self.state = Mutex(State(port: options.port ?? (try? Aria2Process.freeLoopbackPort()) ?? 6800, child: nil))
    }

    /// Stops a still running aria2c (`stop()`).
    deinit {
        stop()
    }

    /// The RPC port (fixed at init: the configured one or a free one picked then).
    public private(set) var port: Int {
        get { state.withLock { $0.port } }
        set { state.withLock { $0.port = newValue } }
    }

    public var secret: String { options.secret }

    /// The PID of the current (or last) aria2c, 0 before `start()`.
    public var pid: Int32 { state.withLock { $0.child?.pid ?? 0 } }

    public var rpcURL: String { "http://127.0.0.1:\(port)/jsonrpc" }
    public var webSocketURL: String { "ws://127.0.0.1:\(port)/jsonrpc" }

    /// Whether the spawned aria2c has not exited yet.
    public var isRunning: Bool {
        guard let child = state.withLock({ $0.child }) else { return false }
        return child.exitStatus == nil
    }

    /// The command line, secret included: never log it.
    var arguments: [String] {
        let port = self.port
        var arguments = [
            options.executable,
            "--no-conf=true",
            "--enable-rpc=true",
            "--rpc-listen-all=false",
            "--rpc-listen-port=\(port)",
            "--rpc-secret=\(options.secret)",
            "--dir=\(options.directory)",
            "--daemon=false",
            "--quiet=true",
            "--disable-ipv6=true",
            "--check-certificate=true",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--auto-save-interval=1",
            // Room for the largest upload Torrus accepts (10 MiB of torrent, as base64 in JSON).
            "--rpc-max-request-size=16M",
            // Torrus keeps uploaded files itself and adds them again when aria2 lost them; aria2
            // would otherwise write a copy named after its hash into the download directory.
            "--rpc-save-upload-metadata=false",
            "--stop-with-process=\(getpid())",
        ]
        if let sessionFile = options.sessionFile {
            arguments.append("--save-session=\(sessionFile)")
            arguments.append("--save-session-interval=\(options.saveSessionInterval)")
            arguments.append("--force-save=false")
            if FileManager.default.fileExists(atPath: sessionFile) {
                arguments.append("--input-file=\(sessionFile)")
            }
        }
        arguments.append(contentsOf: options.extraArguments)
        return arguments
    }

    /// Spawns aria2c and returns once its RPC port accepts TCP connections and answers HTTP
    /// (polled every ≤ 20 ms, waking at once if the child exits).
    /// Throws `Aria2ProcessError` if it is already running, cannot be spawned, exits early, or
    /// the port does not open within `Options.startTimeout` (the child is then killed).
    public func start() throws {
        if isRunning { throw Aria2ProcessError.alreadyRunning }
        state.withLock { $0.child }?.terminate(gracePeriod: .zero)  // a previous run: joins its reaper
        try FileManager.default.createDirectory(atPath: options.directory, withIntermediateDirectories: true)
        let child = try Child.spawn(arguments: arguments, logFile: options.logFile)
        state.withLock { $0.child = child }

        let port = self.port
        let deadline = ContinuousClock.now + options.startTimeout
        while true {
            if let status = child.exitStatus {
                throw Aria2ProcessError.exitedEarly(status: status)
            }
            // An open port is not enough: aria2c opens it before it installs its signal handlers
            // (a SIGTERM right then kills it outright, without saving its session). An HTTP
            // answer means its event loop runs, handlers included.
            let remaining = deadline - ContinuousClock.now
            if remaining > .zero, Aria2Process.answersHTTP(port: port, timeout: min(remaining, .seconds(1))) {
                // It might be someone else's listener if aria2c failed to bind: re-check.
                if let status = child.exitStatus { throw Aria2ProcessError.exitedEarly(status: status) }
                return
            }
            if ContinuousClock.now >= deadline {
                child.terminate(gracePeriod: .zero)
                throw Aria2ProcessError.startTimeout(port: port, timeout: options.startTimeout)
            }
            // Wait for the child's exit event, at most 20 ms, then probe the port again.
            _ = child.waitForExit(timeout: .milliseconds(20))
        }
    }

    /// SIGTERM, then SIGKILL if aria2c has not exited after `gracePeriod` (it may ignore SIGTERM
    /// for a long time while it says goodbye to trackers, and keeps its ports until it exits).
    /// Returns once the child is reaped. Idempotent; a no-op if not running.
    ///
    /// The wait happens on a thread of its own, so a stop never holds a thread of the cooperative
    /// pool for the grace period; cancelling the caller does not shorten it.
    public func stop(gracePeriod: Duration = .seconds(3)) async {
        guard let child = state.withLock({ $0.child }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                child.terminate(gracePeriod: gracePeriod)
                continuation.resume()
            }
        }
    }

    /// `stop`, blocking the calling thread meanwhile: for synchronous code only (`deinit`, a
    /// `defer`); async code gets the overload above.
    public func stop(gracePeriod: Duration = .seconds(3)) {
        state.withLock { $0.child }?.terminate(gracePeriod: gracePeriod)
    }

    /// SIGKILL now and reap (crash tests).
    public func kill9() {
        state.withLock { $0.child }?.terminate(gracePeriod: .zero)
    }

    /// Suspends until aria2c exited; returns its exit code, or 128 + signal number if a signal
    /// killed it, or -1 if it was never started.
    public func waitForExit() async -> Int32 {
        guard let child = state.withLock({ $0.child }) else { return -1 }
        return await child.exitStatus()
    }

    // MARK: helpers

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// A loopback TCP port that was free a moment ago: bind 127.0.0.1:0, read the port, close.
    /// (Someone else may take it before aria2c binds it; `start()` then fails with `.exitedEarly`.)
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Aria2ProcessError.noFreePort(errno: errno) }
        defer { close(fd) }
        var address = loopbackAddress(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Aria2ProcessError.noFreePort(errno: errno) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Aria2ProcessError.noFreePort(errno: errno) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether 127.0.0.1:port accepts a TCP connection right now (loopback: no waiting).
    static func acceptsConnection(port: Int) -> Bool {
        guard let fd = connectLoopback(port: port) else { return false }
        close(fd)
        return true
    }

    /// Whether 127.0.0.1:port accepts a TCP connection and answers an HTTP request (any answer)
    /// within `timeout`. The request carries no secret.
    static func answersHTTP(port: Int, timeout: Duration) -> Bool {
        guard let fd = connectLoopback(port: port) else { return false }
        defer { close(fd) }
        let request = Array("GET /jsonrpc HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard send(fd, request, request.count, Int32(MSG_NOSIGNAL)) == request.count else { return false }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(clamping: Curl.milliseconds(timeout))) == 1 else { return false }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 1
    }

    /// A connected TCP socket to 127.0.0.1:port (close-on-exec), or nil.
    private static func connectLoopback(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = loopbackAddress(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        return fd
    }

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// Why `Aria2Process.start()` failed. Never contains the secret.
public enum Aria2ProcessError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyRunning
    case spawnFailed(executable: String, errno: Int32)
    case exitedEarly(status: Int32)
    case startTimeout(port: Int, timeout: Duration)
    case noFreePort(errno: Int32)

    public var description: String {
        switch self {
        case .alreadyRunning:
            "aria2c is already running"
        case .spawnFailed(let executable, let code):
            "cannot spawn \(executable): \(String(cString: strerror(code)))"
        case .exitedEarly(let status):
            "aria2c exited during start-up with status \(status) (port taken? bad option? see its log file)"
        case .startTimeout(let port, let timeout):
            "aria2c did not accept connections on 127.0.0.1:\(port) within \(timeout)"
        case .noFreePort(let code):
            "cannot find a free loopback port: \(String(cString: strerror(code)))"
        }
    }
}

extension Aria2Process {
    /// One spawned child: its PID, a reaper thread blocked in `waitid`, and its exit status.
    fileprivate final class Child: Sendable {
        let pid: Int32
        private let exited = DispatchGroup()
        private let state = Mutex(ChildState())
        private let reaper = Mutex<CurlThread?>(nil)

        private struct ChildState {
            var status: Int32?
            var waiters: [CheckedContinuation<Int32, Never>] = []
        }

        private init(pid: Int32) {
            self.pid = pid
            exited.enter()
        }

        var exitStatus: Int32? { state.withLock { $0.status } }

        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

        /// glibc ≥ 2.34 `posix_spawn_file_actions_addclosefrom_np`, which Swift does not import
        /// (it is declared under _GNU_SOURCE): looked up at run time.
        static let addCloseFrom: AddCloseFrom? = {
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
            return unsafeBitCast(symbol, to: AddCloseFrom.self)
        }()

        static func spawn(arguments: [String], logFile: String?) throws -> Child {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            if let logFile {
                posix_spawn_file_actions_addopen(&actions, 1, logFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            } else {
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            }
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            if let addCloseFrom { _ = addCloseFrom(&actions, 3) }

            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var noSignals = sigset_t()
            sigemptyset(&noSignals)
            posix_spawnattr_setsigmask(&attributes, &noSignals)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCHLD] {
                sigaddset(&defaults, signal)
            }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for argument in argv { free(argument) } }
            var pid: pid_t = 0
            let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
            guard result == 0 else {
                throw Aria2ProcessError.spawnFailed(executable: arguments[0], errno: result)
            }
            let child = Child(pid: pid)
            child.reaper.withLock { $0 = CurlThread { child.reap() } }
            return child
        }

        /// The reaper thread: wait without reaping (the PID stays ours), then reap under the
        /// lock that also guards every kill().
        private func reap() {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
            let waiters: [CheckedContinuation<Int32, Never>]
            let code: Int32
            (waiters, code) = state.withLock { state in
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
                let signal = raw & 0x7f
                let code = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
                state.status = code
                defer { state.waiters = [] }
                return (state.waiters, code)
            }
            exited.leave()
            for waiter in waiters { waiter.resume(returning: code) }
        }

        /// Sends `signal` unless the child is already reaped.
        func send(_ signal: Int32) {
            state.withLock { state in
                if state.status == nil { _ = kill(pid, signal) }
            }
        }

        /// Blocks until exit or timeout; true if exited.
        func waitForExit(timeout: Duration) -> Bool {
            let nanoseconds = Curl.milliseconds(timeout, minimum: 0) * 1_000_000
            return exited.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
        }

        /// SIGTERM (skipped when `gracePeriod` is zero), SIGKILL after the grace period, reap.
        func terminate(gracePeriod: Duration) {
            if exitStatus == nil {
                if gracePeriod > .zero {
                    send(SIGTERM)
                    if !waitForExit(timeout: gracePeriod) { send(SIGKILL) }
                } else {
                    send(SIGKILL)
                }
                exited.wait()
            }
            reaper.withLock { $0 }?.join()
        }

        func exitStatus() async -> Int32 {
            await withCheckedContinuation { continuation in
                let status: Int32? = state.withLock { state in
                    if let status = state.status { return status }
                    state.waiters.append(continuation)
                    return nil
                }
                if let status { continuation.resume(returning: status) }
            }
        }
    }
}
