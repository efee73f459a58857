import Foundation
import Glibc

/// The release torrusd a round starts: its own data directory and port, `LOG_LEVEL=warning` (the
/// bench measures serving, not logging), standard error into `logFile` (warnings and worse:
/// usually empty, and the reason when torrusd failed).
enum BenchTorrusd {
    static func start(
        _ executable: String,
        data: String,
        port: Int,
        token: String,
        logFile: String,
        environment: [String: String]
    ) throws(BenchError) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["TORRUS_API_TOKEN": token, "TORRUS_DATA_DIR": data, "TORRUS_LISTEN": "127.0.0.1:\(port)", "LOG_LEVEL": "warning"]
                .merging(environment) { _, given in given }
        ) { _, new in new }
        _ = FileManager.default.createFile(atPath: logFile, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: logFile)
        do { try process.run() } catch { throw .setup("cannot start \(executable): \(error)") }
        return process
    }

    static func check(_ process: Process, during round: String) throws(BenchError) {
        if !process.isRunning { throw .check("torrusd exited during the \(round) round (status \(process.terminationStatus))") }
    }

    /// SIGTERM to the torrusd we started, SIGKILL after 15 s: a server that waits for open
    /// streams must not hang the bench. Signals go only to a child Foundation has not reaped, so
    /// a recycled PID is never hit.
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(15)
        while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The end of torrusd's log, to show when a round failed.
    static func printLog(_ logFile: String) {
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        if !log.isEmpty { Output.error("torrusd's log (last 2000 bytes):\n" + log.suffix(2000)) }
    }
}
