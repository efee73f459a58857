import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Local HTTP peers for integration tests: `Tests/Support/testpeers.py serve` on 127.0.0.1
/// (payload files with ranges and throttling, static .torrent files, 404s, a slow-headers route,
/// a minimal BitTorrent tracker and request statistics), plus its `make-torrent` helper.
///
/// Payload of `/files/<name>?size=N`: byte i is `(i * 31 + name.utf8.count) % 251`.
///
/// Working aria2c (1.36) options for a local swarm (both on 127.0.0.1, distinct free listen ports):
///   common:  --no-conf --enable-rpc=false --enable-dht=false --enable-dht6=false
///            --bt-enable-lpd=false --enable-peer-exchange=false
///            --interface=127.0.0.1 --disable-ipv6=true --listen-port=<free port>
///   seeder:  --check-integrity=true --seed-ratio=0.0 --dir=<dir holding the payload> <file.torrent>
///            (no --seed-time: seeds until stopped)
///   leecher: --seed-time=0 --dir=<out dir> <file.torrent | magnet:?xt=urn:btih:<hash>&tr=<announceURL>>
final class TestPeers: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    struct HTTPResponse: Sendable {
        let status: Int
        /// Header names lowercased.
        let headers: [String: String]
        let body: [UInt8]
    }

    /// `Tests/Support/testpeers.py`.
    static var scriptPath: String { PythonPeer.scriptPath("testpeers.py") }

    private let peer: PythonPeer
    var port: Int { peer.port }
    var baseURL: String { "http://127.0.0.1:\(port)" }
    var announceURL: String { "\(baseURL)/announce" }

    private init(peer: PythonPeer) {
        self.peer = peer
    }

    /// Spawns the server serving `root` under `/static/` and waits (10 s at most) for its `PORT` line.
    static func start(root: String) throws -> TestPeers {
        TestPeers(peer: try PythonPeer(script: scriptPath, arguments: ["serve", "--root", root]))
    }

    /// SIGTERM, then SIGKILL after 3 s; waits until the child is reaped. Idempotent.
    func stop() { peer.stop() }

    // MARK: URLs

    /// `rate`: bytes per second (per connection); `noRange`: ignore `Range` and send no `Accept-Ranges`.
    func fileURL(name: String, size: Int, rate: Int? = nil, noRange: Bool = false) -> String {
        var url = "\(baseURL)/files/\(Self.escape(name))?size=\(size)"
        if let rate { url += "&rate=\(rate)" }
        if noRange { url += "&norange=1" }
        return url
    }

    func missingURL(name: String) -> String { "\(baseURL)/missing/\(Self.escape(name))" }

    /// Answers (like `fileURL`, default size 1024) only after 30 s.
    func slowHeadersURL(name: String, size: Int = 1024) -> String {
        "\(baseURL)/slow-headers/\(Self.escape(name))?size=\(size)"
    }

    /// A file under the server's root.
    func staticURL(path: String) -> String { "\(baseURL)/static/\(Self.escape(path))" }

    private static func escape(_ component: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#;")
        return component.addingPercentEncoding(withAllowedCharacters: allowed) ?? component
    }

    // MARK: Stats and plain HTTP

    /// Request counts per path (query stripped) and the number of tracker announces so far.
    func stats() throws -> (requests: [String: Int], announces: Int) {
        struct Stats: Decodable {
            let requests: [String: Int]
            let announces: Int
        }
        let response = try get("/stats")
        guard response.status == 200 else { throw Failure("GET /stats: HTTP \(response.status)") }
        let stats = try JSONDecoder().decode(Stats.self, from: Data(response.body))
        return (stats.requests, stats.announces)
    }

    /// A blocking GET of `path` (e.g. "/files/a.bin?size=10") on this server.
    func get(_ path: String, headers: [String: String] = [:], timeout: TimeInterval = 10) throws -> HTTPResponse {
        try Self.httpGet(port: port, path: path, headers: headers, timeout: timeout)
    }

    /// A blocking HTTP/1.1 GET to 127.0.0.1 over a plain POSIX socket (`Connection: close`, read to EOF).
    static func httpGet(
        port: Int,
        path: String,
        headers: [String: String] = [:],
        timeout: TimeInterval = 10
    ) throws -> HTTPResponse {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket: errno \(errno)") }
        defer { _ = close(fd) }

        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        #if canImport(Darwin)
            var one: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            let sendFlags: Int32 = 0
        #else
            let sendFlags = Int32(MSG_NOSIGNAL)
        #endif

        var address = sockaddr_in()
        #if canImport(Darwin)
            address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure("connect 127.0.0.1:\(port): errno \(errno)") }

        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, sendFlags) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Failure("send: errno \(errno)") }
            sent += n
        }

        var raw: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw Failure("recv from 127.0.0.1:\(port)\(path): errno \(errno) (timeout?)") }
            if n == 0 { break }
            raw.append(contentsOf: buffer[0..<n])
        }
        return try parseResponse(raw)
    }

    private static func parseResponse(_ raw: [UInt8]) throws -> HTTPResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard raw.count >= 4,
            let end = (0...(raw.count - 4)).first(where: { raw[$0..<$0 + 4].elementsEqual(separator) })
        else { throw Failure("malformed HTTP response (\(raw.count) bytes)") }
        let head = String(decoding: raw[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusWords = lines.removeFirst().split(separator: " ")
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else {
            throw Failure("malformed HTTP status line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(raw[(end + 4)...])
        if let length = headers["content-length"].flatMap(Int.init), length < body.count {
            body = Array(body.prefix(length))
        }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    // MARK: Payloads and torrents

    /// The bytes `/files/<name>?size=N` serves.
    static func expectedPayload(name: String, size: Int) -> [UInt8] {
        let offset = name.utf8.count
        var period = [UInt8](repeating: 0, count: 251)
        for i in 0..<251 { period[i] = UInt8((i * 31 + offset) % 251) }
        var payload = [UInt8]()
        payload.reserveCapacity(size)
        while payload.count < size { payload.append(contentsOf: period.prefix(size - payload.count)) }
        return payload
    }

    /// Writes `expectedPayload(name:size:)` to `path` (creating parent directories), e.g. for a seeder.
    static func makeFile(path: String, size: Int, name: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(expectedPayload(name: name, size: size)).write(to: url)
    }

    /// Writes a .torrent announcing to `tracker` and returns its info hash (40 lowercase hex).
    /// One file and no `name`: single-file torrent. Otherwise multi-file, named `name`, with paths
    /// relative to the files' common directory.
    @discardableResult
    static func makeTorrent(
        files: [String],
        name: String?,
        tracker: String,
        out: String,
        private: Bool = true,
        pieceLength: Int = 262_144
    ) throws -> String {
        var arguments = ["make-torrent"]
        for file in files { arguments += ["--file", file] }
        if let name { arguments += ["--name", name] }
        arguments += ["--tracker", tracker, "--out", out, "--piece-length", String(pieceLength)]
        if `private` { arguments.append("--private") }
        let output = try runScript(arguments)
        let words = output.split(whereSeparator: \.isWhitespace)
        guard words.count == 2, words[0] == "INFOHASH", words[1].count == 40 else {
            throw Failure("make-torrent: unexpected output \(output.debugDescription)")
        }
        return String(words[1])
    }

    /// Runs the script with `arguments`; returns its stdout, throws on a non-zero exit.
    private static func runScript(_ arguments: [String]) throws -> String {
        let process = Process()
        let stdout = Pipe()
        let stderr = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try ProcessSpawn.run(process)
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                "testpeers.py \(arguments.first ?? ""): exit \(process.terminationStatus): "
                    + String(decoding: err, as: UTF8.self)
            )
        }
        return String(decoding: out, as: UTF8.self)
    }
}
