import Foundation
import Torrus

/// Issue 9, item 6: how long `POST /v1/downloads` with a 1 MiB `.torrent` takes to be accepted
/// (201), one upload after another from one client, as base64 JSON and as a multipart form,
/// against a release torrusd with
/// - the noop downloader (what torrusd itself costs: body, bencode, info-hash, the store), and
/// - its own managed aria2c (`ARIA2_RPC_URL` unset; `desiredStatus: Paused`, so nothing
///   downloads): the above plus `aria2.addTorrent`.
/// Then aria2c alone: the same `aria2.addTorrent` (paused) straight to an aria2c of the bench's,
/// which is aria2's share of the second. Each torrent has another name, so another info-hash.
/// Latency is wall time around each request at the client, the body built beforehand; CPU is
/// torrusd's and aria2c's over each batch, per upload. Target (issue 9): 201 within 50 ms.
struct UploadRound {
    let count: Int
    var warmup = 3
    var size = 1 << 20
    static let targetMilliseconds = 50.0

    init(options: BenchOptions) {
        count = options.uploadCount
    }

    enum Form: String, Sendable, CaseIterable {
        case json = "JSON (base64)"
        case multipart = "multipart"
    }

    /// One batch: `count` uploads of one form to one server.
    struct Batch: Sendable {
        let server: String
        let form: String
        var latencies: [Double] = []
        /// CPU per upload (ms) of torrusd and of its aria2c, when there is one.
        var torrusdCPU: Double?
        var aria2CPU: Double?
        var bodyBytes = 0
    }

    func run() async throws -> Figures {
        let torrusd = try HTTPBench.siblingExecutable("torrusd")
        var figures = Figures(count: count, warmup: warmup)
        var random = SplitMix64(seed: 0x7075_6c6c)
        figures.torrentBytes = BenchTorrent.make(name: "probe", size: size, random: &random).count
        for aria2 in [false, true] {
            try Interrupt.check()
            figures.batches += try await server(torrusd, aria2: aria2, random: &random)
        }
        try Interrupt.check()
        figures.batches.append(try await aria2Alone(random: &random))
        return figures
    }

    private func server(_ torrusd: String, aria2: Bool, random: inout SplitMix64) async throws -> [Batch] {
        let label = aria2 ? "torrusd + managed aria2c" : "torrusd, noop"
        let directory = try TempDirectory()
        defer { directory.remove() }
        let port = try Aria2Process.freeLoopbackPort()
        let token = "bench-\(UUID().uuidString)"
        let logFile = directory.path + "/torrusd.log"
        Output.note("upload: starting \(label)")
        let process = try BenchTorrusd.start(
            torrusd,
            data: try directory.subdirectory("data"),
            port: port,
            token: token,
            logFile: logFile,
            // Empty counts as unset: torrusd starts and supervises an aria2c of its own.
            environment: ["TORRUS_STORAGE": "sqlite", "TORRUS_CLIENT": aria2 ? "aria2" : "noop", "ARIA2_RPC_URL": "", "ARIA2_SECRET": ""]
        )
        let client = BenchHTTPClient(port: port, token: token)
        defer {
            client.shutdown()
            BenchTorrusd.stop(process)
        }
        do {
            try await HTTPBench.waitForHTTP("http://127.0.0.1:\(port)/readyz")
            let pid = process.processIdentifier
            let aria2PID = aria2 ? Self.child(of: pid, named: "aria2c") : nil
            if aria2 && aria2PID == nil { throw BenchError.check("torrusd's managed aria2c is not among its children") }
            var batches: [Batch] = []
            var serial = 0
            for form in Form.allCases {
                var batch = Batch(server: label, form: form.rawValue)
                var torrusdCPU: Duration = .zero
                var aria2CPU: Duration = .zero
                for index in 0..<(warmup + count) {
                    try Interrupt.check()
                    try BenchTorrusd.check(process, during: "upload")
                    serial += 1
                    let torrent = BenchTorrent.make(name: "bench-upload-\(serial)-\(UUID().uuidString).bin", size: size, random: &random)
                    let boundary = "bench-\(UUID().uuidString)"
                    let (body, type) =
                        switch form {
                        case .json: (BenchTorrent.jsonBody(torrent), "application/json")
                        case .multipart: (BenchTorrent.formBody(torrent, boundary: boundary), "multipart/form-data; boundary=\(boundary)")
                        }
                    batch.bodyBytes = body.count
                    let cpuBefore = (ProcessStats.cpuTime(pid: pid), aria2PID.flatMap { ProcessStats.cpuTime(pid: $0) })
                    let started = ContinuousClock.now
                    let (status, answer) = try await client.post("/v1/downloads", body: body, contentType: type)
                    let elapsed = (ContinuousClock.now - started).seconds * 1000
                    guard status == 201 else {
                        throw BenchError.http(
                            "POST /v1/downloads (\(form.rawValue), \(body.count) bytes) answered \(status): \(String(decoding: answer.prefix(400), as: UTF8.self))"
                        )
                    }
                    guard index >= warmup else { continue }
                    batch.latencies.append(elapsed)
                    if let before = cpuBefore.0, let after = ProcessStats.cpuTime(pid: pid) { torrusdCPU += after - before }
                    if let aria2PID, let before = cpuBefore.1, let after = ProcessStats.cpuTime(pid: aria2PID) { aria2CPU += after - before }
                }
                batch.torrusdCPU = torrusdCPU.seconds * 1000 / Double(count)
                if aria2PID != nil { batch.aria2CPU = aria2CPU.seconds * 1000 / Double(count) }
                batches.append(batch)
            }
            return batches
        } catch {
            BenchTorrusd.printLog(logFile)
            throw error
        }
    }

    /// `aria2.addTorrent` (paused) straight to an aria2c of the bench's: aria2's part of an upload.
    private func aria2Alone(random: inout SplitMix64) async throws -> Batch {
        let directory = try TempDirectory()
        defer { directory.remove() }
        var options = Aria2Process.Options(directory: try directory.subdirectory("downloads"), secret: "")
        options.logFile = directory.path + "/aria2c.log"
        options.extraArguments = ["--interface=127.0.0.1", "--file-allocation=none"]
        let aria2 = Aria2Process(options: options)
        do { try aria2.start() } catch { throw BenchError.setup("aria2c: \(error)") }
        defer { aria2.stop() }
        let client = BenchHTTPClient(port: aria2.port, token: "")
        defer { client.shutdown() }
        var batch = Batch(server: "aria2c alone", form: "aria2.addTorrent")
        var aria2CPU: Duration = .zero
        for index in 0..<(warmup + count) {
            try Interrupt.check()
            let torrent = BenchTorrent.make(name: "bench-aria2-\(index)-\(UUID().uuidString).bin", size: size, random: &random)
            let body = BenchTorrent.addTorrentCall(torrent, secret: aria2.secret, id: index)
            batch.bodyBytes = body.count
            let before = ProcessStats.cpuTime(pid: aria2.pid)
            let started = ContinuousClock.now
            let (status, answer) = try await client.post("/jsonrpc", body: body, contentType: "application/json")
            let elapsed = (ContinuousClock.now - started).seconds * 1000
            guard status == 200, !answer.isEmpty, String(decoding: answer, as: UTF8.self).contains("\"result\"") else {
                throw BenchError.http("aria2.addTorrent answered \(status): \(String(decoding: answer.prefix(400), as: UTF8.self))")
            }
            guard index >= warmup else { continue }
            batch.latencies.append(elapsed)
            if let before, let after = ProcessStats.cpuTime(pid: aria2.pid) { aria2CPU += after - before }
        }
        batch.aria2CPU = aria2CPU.seconds * 1000 / Double(count)
        return batch
    }

    /// The first child process of `pid` whose command is `name` (`/proc/PID/task/*/children`).
    static func child(of pid: Int32, named name: String) -> Int32? {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for task in tasks {
            let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                let command = (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)) ?? ""
                if command.trimmingCharacters(in: .whitespacesAndNewlines) == name { return child }
            }
        }
        return nil
    }
}
