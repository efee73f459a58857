import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Python server from `Tests/Support` (the test peers, the webhook receiver), run as
/// `python3 <script> <arguments> --exit-on-stdin-eof`: it prints `PORT <n>` once it listens, and
/// exits when this process dies (we hold its stdin) or on `stop()`.
final class PythonPeer: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// `Tests/Support/<name>`, found from this file's location.
    static func scriptPath(_ name: String) -> String {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Support
            .deletingLastPathComponent()  // TorrusIntegrationTests
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Support/\(name)").path
    }

    let port: Int
    private let process: Process
    private let stdinPipe: Pipe
    private let stdoutPipe: Pipe
    private let stopped = Mutex(false)

    /// Spawns the script and waits (10 s at most) for its `PORT` line; `hint` is added to the
    /// error when it exits first (what it may lack).
    init(script: String, arguments: [String], hint: String = "") throws {
        process = Process()
        stdinPipe = Pipe()
        stdoutPipe = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments + ["--exit-on-stdin-eof"]
        process.standardInput = stdinPipe  // we hold the write end: if this process dies, the server exits
        process.standardOutput = stdoutPipe
        try ProcessSpawn.run(process)

        let (line, failure) = Self.readLine(from: stdoutPipe.fileHandleForReading.fileDescriptor, timeout: 10)
        let words = line.split(separator: " ")
        port = failure == nil && words.count == 2 && words[0] == "PORT" ? Int(words[1]) ?? 0 : 0
        guard port > 0 else {
            stop()
            let reason = failure.map { $0 + (hint.isEmpty ? "" : " (\(hint))") } ?? "unexpected output \(line.debugDescription)"
            throw Failure("\(URL(fileURLWithPath: script).lastPathComponent) (\(script)): \(reason)")
        }
    }

    deinit { stop() }

    /// SIGTERM, then SIGKILL after 3 s; waits until the child is reaped. Idempotent.
    func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        let pid = process.processIdentifier
        // `isRunning` stays true until Foundation has reaped the child, so the PID cannot be reused here.
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { kill(pid, SIGKILL) }
            while process.isRunning { usleep(10_000) }
        }
        try? stdinPipe.fileHandleForWriting.close()
        try? stdoutPipe.fileHandleForReading.close()
    }

    /// The first line `fd` yields within `timeout` seconds, or why there is none.
    private static func readLine(from fd: Int32, timeout: TimeInterval) -> (line: String, failure: String?) {
        let deadline = Date().addingTimeInterval(timeout)
        var output: [UInt8] = []
        var failure: String?
        while !output.contains(UInt8(ascii: "\n")) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                failure = "no PORT line within \(Int(timeout)) s"
                break
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, Int32(remaining * 1000) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                failure = "poll failed: errno \(errno)"
                break
            }
            if ready == 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                failure = "read failed: errno \(errno)"
                break
            }
            if count == 0 {
                failure = "it exited before printing PORT"
                break
            }
            output.append(contentsOf: buffer[0..<count])
        }
        return (String(decoding: output.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self), failure)
    }
}
