import Foundation
import Testing

/// The torrusd executable itself: configuration errors and graceful shutdown on SIGTERM.
@Suite struct TorrusdProcessTests {
    /// torrusd is built next to the test bundle by `swift test`.
    static var executable: String {
        let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("torrusd").path
        if FileManager.default.isExecutableFile(atPath: sibling) { return sibling }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/torrusd").path
    }

    struct Run {
        let process: Process
        let output: String
        var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
    }

    static func start(_ environment: [String: String], arguments: [String] = []) throws -> Run {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("torrusd-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) { a, _ in a }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return Run(process: process, output: output)
    }

    static func waitForExit(_ process: Process, timeout: Duration = .seconds(20)) async throws {
        try await eventually(timeout: timeout, "torrusd to exit") { !process.isRunning }
    }

    @Test(arguments: [
        ([:], "TORRUS_API_TOKEN is required"),
        (["TORRUS_API_TOKEN": "x", "TORRUS_LISTEN": "nope"], "TORRUS_LISTEN must be host:port"),
        (["TORRUS_API_TOKEN": "x", "TORRUS_STORAGE": "mysql"], "TORRUS_STORAGE must be one of sqlite, memory"),
    ])
    func badConfigurationExitsNonZeroWithOneLine(_ environment: [String: String], _ message: String) async throws {
        let run = try Self.start(environment)
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationStatus == 2)
        let lines = run.text.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(message) == true, "\(run.text)")
    }

    @Test func sigtermShutsDownGracefullyAndClosesTheDatabase() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("torrusd-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let run = try Self.start([
            "TORRUS_API_TOKEN": "secret-token-77", "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data, "TORRUS_CLIENT": "noop",
        ])
        defer { if run.process.isRunning { run.process.terminate() } }
        try await eventually("torrusd to listen") { run.text.contains("listening on") }
        #expect(FileManager.default.fileExists(atPath: data + "/torrus.sqlite"))

        kill(run.process.processIdentifier, SIGTERM)
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationReason == .exit)
        #expect(run.process.terminationStatus == 0, "\(run.text)")
        #expect(run.text.contains("torrusd stopped"))
        // A clean close folds the write-ahead log into the database and leaves it empty.
        let wal = try FileManager.default.attributesOfItem(atPath: data + "/torrus.sqlite-wal")
        #expect((wal[.size] as? Int) == 0)
        #expect(!run.text.contains("secret-token-77"))
    }

    @Test func insecureNoAuthIsLoggedLoudly() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("torrusd-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let run = try Self.start(
            ["TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data, "TORRUS_STORAGE": "memory", "TORRUS_CLIENT": "noop"],
            arguments: ["--insecure-no-auth"]
        )
        defer { if run.process.isRunning { run.process.terminate() } }
        try await eventually("torrusd to listen") { run.text.contains("listening on") }
        #expect(run.text.contains("critical") && run.text.contains("AUTHENTICATION IS DISABLED"))
        kill(run.process.processIdentifier, SIGINT)
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationStatus == 0)
    }
}
