import Foundation
import Glibc

/// `Tests/Support/testpeers.py serve` on 127.0.0.1: the HTTP origin every benchmark download
/// fetches from (`/files/<name>?size=N&rate=B` serves deterministic, optionally throttled bytes).
/// It holds one thread per connection, so 500 throttled downloads are 500 Python threads.
final class TestPeersServer: @unchecked Sendable {
    /// Relative on purpose: the bench is run from the repository root, like `swift run`.
    static let script = "Tests/Support/testpeers.py"

    let port: Int
    private let process: Process
    /// Kept open for the child's lifetime: with `--exit-on-stdin-eof` the server stops by itself
    /// when this process dies without cleaning up (EOF on its stdin).
    private let stdinPipe: Pipe
    private let stdoutPipe: Pipe

    var pid: Int32 { process.processIdentifier }

    private init(port: Int, process: Process, stdinPipe: Pipe, stdoutPipe: Pipe) {
        self.port = port
        self.process = process
        self.stdinPipe = stdinPipe
        self.stdoutPipe = stdoutPipe
    }

    /// Spawns the server and waits (at most `timeout`) for its one line `PORT <n>`.
    static func start(root: String, logFile: String, timeout: Duration = .seconds(15)) throws(BenchError) -> TestPeersServer {
        let cwd = FileManager.default.currentDirectoryPath
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw .setup("\(script) not found under \(cwd): run torrus-bench from the repository root (cd /path/to/torrus)")
        }
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "serve", "--root", root, "--exit-on-stdin-eof"]
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle(forWritingAtPath: logFile)
        do {
            try process.run()
        } catch {
            throw .setup("cannot start python3 \(script): \(error)")
        }
        let server: TestPeersServer
        do {
            let port = try readPort(from: stdoutPipe.fileHandleForReading.fileDescriptor, timeout: timeout, process: process)
            server = TestPeersServer(port: port, process: process, stdinPipe: stdinPipe, stdoutPipe: stdoutPipe)
        } catch {
            terminate(process)
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8))?.suffix(2000) ?? ""
            throw .setup("\(script) serve: \(error)" + (log.isEmpty ? "" : "; its stderr:\n\(log)"))
        }
        return server
    }

    /// Reads stdout until the first newline, with `poll` so a silent or dead child cannot hang us.
    private static func readPort(from fd: Int32, timeout: Duration, process: Process) throws(BenchError) -> Int {
        let deadline = ContinuousClock.now + timeout
        var line: [UInt8] = []
        while !line.contains(UInt8(ascii: "\n")) {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timeout("no 'PORT n' line within \(timeout)") }
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(max(1, remaining.milliseconds.rounded(.up))))
            if ready < 0, errno != EINTR { throw .setup("poll on its stdout failed: \(String(cString: strerror(errno)))") }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { throw .setup("it exited before printing its port (status \(process.isRunning ? -1 : process.terminationStatus))") }
            line += buffer[0..<count]
        }
        let text = String(decoding: line, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)), port > 0 else {
            throw .setup("expected 'PORT n', got '\(text)'")
        }
        return port
    }

    /// SIGTERM to the PID we spawned, SIGKILL after 3 s. Signals are sent only while Foundation
    /// has not reaped the child, so a recycled PID is never hit.
    func stop() {
        Self.terminate(process)
    }

    private static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(3)
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let hard = ContinuousClock.now + .seconds(2)
        while process.isRunning, ContinuousClock.now < hard { usleep(10_000) }
    }
}
