import CoreMetrics
import Foundation
import Logging
import Testing

@testable import Torrus

/// A real aria2c and a local file server / tracker on 127.0.0.1, in a fresh temp directory, for
/// the integration tests. aria2c is started by the harness (torrusd gets its URL, as with an
/// external daemon), so a test can kill and restart it on the same port and session file.
final class Aria2Harness: @unchecked Sendable {
    let root: TemporaryDirectory
    let downloads: String
    let data: String
    let staticFiles: String
    let peers: TestPeers
    private(set) var aria2: Aria2Process
    private var options: Aria2Process.Options
    let logs = CapturedLogs()
    private let http = CurlHTTPClient()
    private var extraProcesses: [Aria2Process] = []

    init(aria2Arguments: [String] = []) throws {
        root = try TemporaryDirectory()
        downloads = root.path + "/downloads"
        data = root.path + "/data"
        staticFiles = root.path + "/static"
        for directory in [downloads, data, staticFiles] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        peers = try TestPeers.start(root: staticFiles)
        var options = Aria2Process.Options(directory: downloads, secret: "harness-secret-\(UUID().uuidString.prefix(8))")
        options.sessionFile = data + "/aria2.session"
        // Leechers stop seeding at once, so a torrent's transfer ends with its download.
        options.extraArguments =
            ["--max-concurrent-downloads=20", "--seed-time=0", "--bt-tracker-interval=1", "--interface=127.0.0.1"] + aria2Arguments
        self.options = options
        aria2 = Aria2Process(options: options)
        try aria2.start()
        self.options.port = aria2.port
    }

    func configuration(pollMilliseconds: Int = 100, push: Bool = true) throws -> TorrusConfiguration {
        try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": API.token,
            "TORRUS_CLIENT": "aria2",
            "TORRUS_DATA_DIR": data,
            "TORRUS_DOWNLOAD_ROOTS": downloads,
            "ARIA2_RPC_URL": aria2.rpcURL,
            "ARIA2_SECRET": options.secret,
            "ARIA2_POLL_MS": "\(pollMilliseconds)",
            "ARIA2_TIMEOUT_MS": "3000",
            "ARIA2_PUSH": "\(push)",
        ])
    }

    func app(push: Bool = true) throws -> TorrusApplication {
        try buildApplication(configuration(push: push), logger: logs.logger())
    }

    /// SIGKILL, as a crash would.
    func killAria2() {
        aria2.kill9()
    }

    /// A new aria2c on the same port and session file.
    func restartAria2() throws {
        aria2 = Aria2Process(options: options)
        try aria2.start()
    }

    /// One client (and thread) for all of a test's calls; the URL is the same after a restart.
    private var rpc: Aria2RPC {
        Aria2RPC(
            httpURL: aria2.rpcURL,
            secret: options.secret,
            timeout: .seconds(3),
            http: http,
            metrics: Aria2Metrics(factory: NOOPMetricsHandler.instance)
        )
    }

    /// Calls aria2 directly, bypassing Torrus.
    func aria2Call<R: Decodable>(_ method: String, _ params: [JSONValue] = [], as type: R.Type = R.self) async throws -> R {
        try await rpc.call(method, params)
    }

    /// Asks aria2 directly, bypassing Torrus, what it thinks of `gid`; nil when it does not know it.
    func aria2Status(_ gid: String) async throws -> Aria2Status? {
        let rpc = self.rpc
        do {
            let status: Aria2Status = try await rpc.call("aria2.tellStatus", [JSONValue.string(gid)])
            return status
        } catch  where error.isGIDNotFound {
            return nil
        }
    }

    /// A seeding aria2c for `torrent`, whose payload must already be in `directory`.
    func startSeeder(torrent: String, directory: String) throws {
        var seeder = Aria2Process.Options(directory: directory, secret: "seeder-\(UUID().uuidString.prefix(8))")
        seeder.extraArguments = [
            "--check-integrity=true", "--seed-ratio=0.0", "--bt-tracker-interval=1", "--interface=127.0.0.1",
            "--listen-port=\(try Aria2Process.freeLoopbackPort())", torrent,
        ]
        let process = Aria2Process(options: seeder)
        try process.start()
        extraProcesses.append(process)
    }

    func shutdown() {
        // TORRUS_TEST_LOGS=1 prints what Torrus logged, to debug a failing integration test.
        if ProcessInfo.processInfo.environment["TORRUS_TEST_LOGS"] != nil {
            print(logs.all.joined(separator: "\n"))
        }
        http.shutdown()
        for process in extraProcesses { process.stop() }
        aria2.stop()
        peers.stop()
        root.remove()
    }
}
