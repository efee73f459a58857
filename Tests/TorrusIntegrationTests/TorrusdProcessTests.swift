import Foundation
import Testing

@testable import Torrus

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
        let errorOutput: String
        /// Standard output, then standard error.
        var text: String { stdout + stderr }
        var stdout: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errorOutput, encoding: .utf8)) ?? "" }
    }

    static func start(_ environment: [String: String], arguments: [String] = []) throws -> Run {
        let name = FileManager.default.temporaryDirectory.appendingPathComponent("torrusd-\(UUID().uuidString)").path
        let (output, errorOutput) = (name + ".log", name + ".err")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errorOutput, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) { a, _ in a }
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorOutput))
        try ProcessSpawn.run(process)
        return Run(process: process, output: output, errorOutput: errorOutput)
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

    /// Each problem a user must fix on the machine (not in the syntax of a value) stops torrusd
    /// with exit status 2 and one line on stderr naming the setting, its value and the cause;
    /// the secrets in its environment appear nowhere.
    @Test(arguments: StartupProblem.allCases)
    func startupProblemsExitWithOneLineNamingTheSetting(_ problem: StartupProblem) async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        var environment = [
            "TORRUS_API_TOKEN": "secret-token-77", "ARIA2_SECRET": "aria2-secret-88", "TORRUS_LISTEN": "127.0.0.1:0",
            "TORRUS_DATA_DIR": root.path + "/data", "TORRUS_CLIENT": "noop",
        ]
        var listener: Int32 = -1
        defer { if listener >= 0 { close(listener) } }
        let expected: String
        switch problem {
        case .busyPort:
            let port: Int
            (listener, port) = try Self.listenOnLoopback()
            environment["TORRUS_LISTEN"] = "127.0.0.1:\(port)"
            expected = "torrusd: TORRUS_LISTEN 127.0.0.1:\(port) cannot be used: address already in use"
        case .dataDirectoryUnderAFile:
            let file = root.path + "/file"
            _ = FileManager.default.createFile(atPath: file, contents: Data())
            environment["TORRUS_DATA_DIR"] = file + "/data"
            expected = "torrusd: TORRUS_DATA_DIR \(file)/data cannot be created: \(file) is not a directory"
        case .dataDirectoryNotWritable:
            // Even root cannot create files in sysfs, so this holds for a test run as root too.
            environment["TORRUS_DATA_DIR"] = "/sys"
            expected = "torrusd: TORRUS_DATA_DIR /sys is not writable: "
        case .aria2cNotOnPath:
            environment["TORRUS_CLIENT"] = "aria2"
            environment["TORRUS_ARIA2C"] = "nosuch-aria2c"
            expected = "torrusd: TORRUS_ARIA2C 'nosuch-aria2c' cannot be started: no such executable on PATH"
        case .aria2cPathMissing:
            environment["TORRUS_CLIENT"] = "aria2"
            environment["TORRUS_ARIA2C"] = "/nonexistent/aria2c"
            expected = "torrusd: TORRUS_ARIA2C '/nonexistent/aria2c' cannot be started: no such file or directory"
        }
        let run = try Self.start(environment)
        defer { if run.process.isRunning { run.process.terminate() } }
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationStatus == 2, "\(run.text)")
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(run.stderr)")
        #expect(lines.first?.hasPrefix(expected) == true, "\(run.stderr)")
        #expect(!run.text.contains("secret-token-77") && !run.text.contains("aria2-secret-88"))
        #expect(!run.stdout.contains("listening on"), "the server never opened")
    }

    enum StartupProblem: CaseIterable, Sendable {
        case busyPort, dataDirectoryUnderAFile, dataDirectoryNotWritable, aria2cNotOnPath, aria2cPathMissing
    }

    /// A socket listening on 127.0.0.1 and a free port, to make that port busy.
    static func listenOnLoopback() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = Aria2Process.loopbackAddress(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, listening else { throw POSIXError(.EADDRNOTAVAIL) }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func helpListsTheConnectionLimits() async throws {
        let run = try Self.start([:], arguments: ["--help"])
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationStatus == 0)
        for (flag, variable) in [
            ("--http-header-timeout-ms", "TORRUS_HTTP_HEADER_TIMEOUT_MS"), ("--http-body-timeout-ms", "TORRUS_HTTP_BODY_TIMEOUT_MS"),
            ("--http-idle-timeout-ms", "TORRUS_HTTP_IDLE_TIMEOUT_MS"), ("--http-max-connections", "TORRUS_HTTP_MAX_CONNECTIONS"),
        ] {
            #expect(run.text.contains(flag) && run.text.contains(variable), "\(flag)")
        }
    }

    /// A flag has the meaning of its variable: here a cap of one connection, which turns the
    /// next one away with a 503.
    @Test func theConnectionCapFlagApplies() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("torrusd-data-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let run = try Self.start(
            ["TORRUS_API_TOKEN": "x", "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data, "TORRUS_CLIENT": "noop"],
            arguments: ["--http-max-connections", "1"]
        )
        defer { if run.process.isRunning { run.process.terminate() } }
        let port = try await Self.listeningPort(run)
        let held = try RawSocket(port: port)
        try held.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        try await eventually("the first connection's answer") { held.poll().hasCompleteResponse }
        let rejected = try RawSocket(port: port)
        try await eventually("the second connection to be turned away") { rejected.poll().closedByPeer }
        #expect(rejected.text.hasPrefix("HTTP/1.1 503"))
        kill(run.process.processIdentifier, SIGTERM)
        try await Self.waitForExit(run.process)
    }

    /// The port torrusd logs once it listens.
    static func listeningPort(_ run: Run) async throws -> Int {
        var port = 0
        try await eventually("torrusd to listen") {
            guard let line = run.stdout.split(separator: "\n").first(where: { $0.contains("listening on 127.0.0.1:") }),
                let value = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) })
            else { return false }
            port = value
            return true
        }
        return port
    }

    /// The README's run mode: no ARIA2_RPC_URL, so torrusd starts, uses and stops its own aria2c.
    @Test(.timeLimit(.minutes(1))) func managedAria2cDownloadsAndStopsWithTorrusd() async throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        let peers = try TestPeers.start(root: root.path)
        defer { peers.stop() }
        let run = try Self.start([
            "TORRUS_API_TOKEN": API.token, "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": root.path + "/data",
        ])
        defer { if run.process.isRunning { run.process.terminate() } }
        let port = try await Self.listeningPort(run)
        let aria2c = try #require(Self.childAria2c(of: run.process.processIdentifier), "torrusd started an aria2c")

        let http = CurlHTTPClient()
        defer { http.shutdown() }
        try await Self.downloadToCompletion(peers.fileURL(name: "managed.bin", size: 65536), http: http, port: port)
        #expect(FileManager.default.fileExists(atPath: root.path + "/data/downloads/managed.bin"))

        // aria2c dies: torrusd starts a new one (same port), reconnects, and downloads go on.
        kill(aria2c, SIGKILL)
        var restarted: Int32 = 0
        try await eventually("a new aria2c") {
            restarted = Self.childAria2c(of: run.process.processIdentifier) ?? 0
            return restarted != 0 && restarted != aria2c
        }
        try await eventually("torrusd to reconnect to the new aria2c") {
            let ready = try await Self.request(http, port: port, method: "GET", path: "/readyz")
            let body = try JSONSerialization.jsonObject(with: Data(ready.body)) as? [String: Any]
            return ready.status == 200 && (body?["aria2"] as? [String: Any])?["pushConnected"] as? Bool == true
        }
        try await Self.downloadToCompletion(peers.fileURL(name: "after.bin", size: 65536), http: http, port: port)

        kill(run.process.processIdentifier, SIGTERM)
        try await Self.waitForExit(run.process)
        #expect(run.process.terminationStatus == 0, "\(run.text)")
        // The aria2c it started is gone with it.
        #expect(kill(restarted, 0) == -1 && errno == ESRCH)
        #expect(FileManager.default.fileExists(atPath: root.path + "/data/aria2.session"))
    }

    /// Creates a download of `source` through torrusd's API (201) and waits until it is Complete.
    static func downloadToCompletion(_ source: String, http: CurlHTTPClient, port: Int) async throws {
        let body = #"{"source":"\#(source)","desiredStatus":"Active"}"#
        let created = try await request(http, port: port, method: "POST", path: "/v1/downloads", body: body)
        #expect(created.status == 201)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any])?["id"] as? String)
        try await eventually("\(source) to complete") {
            let download = try await request(http, port: port, method: "GET", path: "/v1/downloads/\(id)")
            return (try JSONSerialization.jsonObject(with: Data(download.body)) as? [String: Any])?["status"] as? String == "Complete"
        }
    }

    /// The pid of an `aria2c` whose parent is `parent`, from /proc.
    static func childAria2c(of parent: Int32) -> Int32? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                stat.contains("(aria2c)")
            else { continue }
            // Fields after the ")" are: state, ppid, ...
            let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == parent { return pid }
        }
        return nil
    }

    static func request(_ http: CurlHTTPClient, port: Int, method: String, path: String, body: String = "") async throws
        -> (status: Int, body: [UInt8])
    {
        // CurlHTTPClient only posts; GETs go through the test peers' raw socket client.
        if method == "GET" {
            let response = try TestPeers.httpGet(port: port, path: path, headers: ["Authorization": "Bearer \(API.token)"], timeout: 5)
            return (response.status, response.body)
        }
        return try await http.post(
            url: "http://127.0.0.1:\(port)\(path)",
            body: Array(body.utf8),
            headers: ["Authorization: Bearer \(API.token)"],
            timeout: .seconds(5)
        )
    }
}

/// The event stream across a restart of torrusd: the log is in the database.
@Suite struct EventStreamRestartTests {
    typealias Process = TorrusdProcessTests

    static func create(_ http: CurlHTTPClient, port: Int, count: Int, tag: String) async throws {
        for index in 0..<count {
            let body = #"{"source":"http://127.0.0.1:1/\#(tag)-\#(index).bin"}"#
            let created = try await Process.request(http, port: port, method: "POST", path: "/v1/downloads", body: body)
            #expect(created.status == 201)
        }
    }

    @Test(.timeLimit(.minutes(1))) func resumingWithTheLastIDLosesNothingAcrossAKillAndRestart() async throws {
        let data = try TemporaryDirectory()
        defer { data.remove() }
        let environment = [
            "TORRUS_API_TOKEN": API.token, "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data.path, "TORRUS_CLIENT": "noop",
            "TORRUS_NOOP_DURATION_MS": "0",
        ]
        let http = CurlHTTPClient()
        defer { http.shutdown() }

        let first = try Process.start(environment)
        defer { if first.process.isRunning { first.process.terminate() } }
        var port = try await Process.listeningPort(first)
        let before = try await EventStreamTests.open(port: port, after: 0)
        try await Self.create(http, port: port, count: 3, tag: "before")
        try await eventually("the first events") {
            before.events.count { $0.type == "download.status" && $0.json["to"] as? String == "Complete" } == 3
        }
        let lastSeen = try #require(before.events.compactMap(\.id).last)
        before.close()
        // Changes the client does not see: it is away. (Another client waits for them to be done.)
        let watcher = try await EventStreamTests.open(port: port, after: lastSeen)
        try await Self.create(http, port: port, count: 2, tag: "away")
        try await eventually("the downloads made while away to complete") {
            watcher.events.count { $0.type == "download.status" && $0.json["to"] as? String == "Complete" } == 2
        }
        watcher.close()
        kill(first.process.processIdentifier, SIGKILL)
        try await Process.waitForExit(first.process)

        let second = try Process.start(environment)
        defer { if second.process.isRunning { second.process.terminate() } }
        port = try await Process.listeningPort(second)
        try await Self.create(http, port: port, count: 1, tag: "after")
        let resumed = try await EventStreamTests.open(port: port, after: lastSeen)
        let everything = try await EventStreamTests.open(port: port, after: 0)
        defer {
            resumed.close()
            everything.close()
        }
        try await eventually("the whole log") {
            everything.events.count { $0.type == "download.status" && $0.json["to"] as? String == "Complete" } == 6
        }
        try await eventually("the resumed stream to catch up") { resumed.events.last?.id == everything.events.last?.id }
        let all = everything.events.filter { $0.id != nil }
        #expect(all.map(\.id) == (1...Int64(all.count)).map { $0 }, "no gaps in the log")
        #expect(resumed.events.map(\.id) == all.filter { $0.id! > lastSeen }.map(\.id), "everything after the last id, once")
        #expect(resumed.events.map(\.data) == all.filter { $0.id! > lastSeen }.map(\.data))
        kill(second.process.processIdentifier, SIGTERM)
        try await Process.waitForExit(second.process)
    }

    /// The server waits for open responses when it stops: an event stream must end by itself.
    @Test(.timeLimit(.minutes(1))) func sigtermWithAnOpenStreamStopsPromptly() async throws {
        let data = try TemporaryDirectory()
        defer { data.remove() }
        let run = try Process.start([
            "TORRUS_API_TOKEN": API.token, "TORRUS_LISTEN": "127.0.0.1:0", "TORRUS_DATA_DIR": data.path, "TORRUS_CLIENT": "noop",
        ])
        defer { if run.process.isRunning { run.process.terminate() } }
        let port = try await Process.listeningPort(run)
        let stream = try await EventStreamTests.open(port: port, after: nil)
        defer { stream.close() }
        let stopping = ContinuousClock.now
        kill(run.process.processIdentifier, SIGTERM)
        try await Process.waitForExit(run.process, timeout: .seconds(10))
        #expect(ContinuousClock.now - stopping < .seconds(5))
        #expect(run.process.terminationStatus == 0, "\(run.text)")
        try await eventually("the stream to end") { stream.socket.poll().closedByPeer }
    }
}
