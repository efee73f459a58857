import Foundation
import Torrus

/// Issue 9, item 6: filtered pages of the list under load. For each size, a SQLite store seeded
/// with that many downloads (`ListSeed`), then a release torrusd on it (`TORRUS_CLIENT=noop`,
/// `LOG_LEVEL=warning`) under `wrk -t2 -c32 --latency`, one run per filter:
/// the first page unfiltered (for reference), `status=Complete`, one category, one tag, three `q`
/// substrings of names (a word of ~2.5 %, two words of a few in 100,000, a term of none),
/// `sort=name&order=desc`, and a page half way down the list (its cursor
/// taken from the `nextCursor` of the page before it), all `limit=100`. Figures: wrk's p50 and
/// p99 latency and req/s per run, the page's size in bytes, torrusd's CPU during the run, and
/// p50/p99 of one `wrk -t1 -c1 -d3s` run (a request with none queued before it).
/// Targets (issue 9): p99 ≤ 10 ms at 10,000 downloads, ≤ 20 ms at 100,000.
struct ListRound {
    let sizes: [Int]
    let runs: Int
    let seconds: Int

    init(options: BenchOptions) {
        sizes = options.listSizes
        runs = options.listRuns
        seconds = options.listSeconds
    }

    /// One filter: its label and the query of `GET /v1/downloads?…`.
    struct Case: Sendable {
        let label: String
        let query: String
        /// Downloads of the store that match the filter (nil: all of them).
        let matching: Int?
    }

    /// One filter at one size: the page once (size, items) and wrk's runs.
    struct Measurement: Sendable {
        let label: String
        let query: String
        let matching: Int?
        var bytes = 0
        var items = 0
        var runs: [HTTPBench.WrkResult] = []
        /// torrusd's CPU during each wrk run, % of one core.
        var cpuPercent: [Double] = []
        /// One `wrk -t1 -c1` run: the time of one request with nothing queued before it.
        var alone: HTTPBench.WrkResult?
    }

    /// Prints each size's figures as soon as they are in: a later size that fails keeps them.
    func run() async throws {
        let torrusd = try HTTPBench.siblingExecutable("torrusd")
        let figures = Figures(runs: runs, seconds: seconds)
        figures.printHeader()
        for size in sizes {
            try Interrupt.check()
            try await measure(size: size, torrusd: torrusd).print()
        }
    }

    private func measure(size: Int, torrusd: String) async throws -> Size {
        let directory = try TempDirectory()
        defer { directory.remove() }
        let data = try directory.subdirectory("data")
        let path = data + "/torrus.sqlite"
        Output.note("list: seeding \(size) downloads into \(path)")
        let seed = try await ListSeed(count: size).write(path: path)
        Output.note("list: seeded in \(fixed(seed.seconds, 1)) s; starting torrusd")
        var result = Size(size: size, seed: seed)
        let databaseBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        result.databaseBytes = databaseBytes

        let port = try Aria2Process.freeLoopbackPort()
        let token = "bench-\(UUID().uuidString)"
        let logFile = directory.path + "/torrusd.log"
        let process = try BenchTorrusd.start(
            torrusd,
            data: data,
            port: port,
            token: token,
            logFile: logFile,
            environment: ["TORRUS_STORAGE": "sqlite", "TORRUS_CLIENT": "noop"]
        )
        let client = BenchHTTPClient(port: port, token: token)
        do {
            try await HTTPBench.waitForHTTP("http://127.0.0.1:\(port)/readyz")
            let cases = try await Self.cases(client: client, size: size, seed: seed)
            var measurements: [Measurement] = []
            for item in cases {
                var measurement = Measurement(label: item.label, query: item.query, matching: item.matching)
                let (status, _, body) = try await client.get("/v1/downloads?" + item.query)
                guard status == 200 else { throw BenchError.http("GET /v1/downloads?\(item.query) answered \(status)") }
                measurement.bytes = body.count
                measurement.items = try Self.page(body).items
                measurements.append(measurement)
            }
            let pid = process.processIdentifier
            let auth = "Authorization: Bearer \(token)"
            for run in 1...runs {
                for index in measurements.indices {
                    try Interrupt.check()
                    try BenchTorrusd.check(process, during: "list")
                    Output.note("list \(size): run \(run) of \(runs), \(measurements[index].label)")
                    let before = ProcessStats.cpuTime(pid: pid)
                    let started = ContinuousClock.now
                    let wrk = try HTTPBench.wrk(
                        "http://127.0.0.1:\(port)/v1/downloads?" + measurements[index].query,
                        header: auth,
                        seconds: seconds,
                        // A page that takes seconds is measured, not dropped at wrk's 2 s.
                        timeout: 30
                    )
                    let wall = (ContinuousClock.now - started).seconds
                    measurements[index].runs.append(wrk)
                    if let before, let after = ProcessStats.cpuTime(pid: pid) {
                        measurements[index].cpuPercent.append((after - before).seconds / max(wall, 0.001) * 100)
                    }
                    try await Self.settle(pid)
                }
            }
            // One connection: what a page costs without queueing behind 31 others.
            for index in measurements.indices {
                try Interrupt.check()
                Output.note("list \(size): one connection, \(measurements[index].label)")
                measurements[index].alone = try HTTPBench.wrk(
                    "http://127.0.0.1:\(port)/v1/downloads?" + measurements[index].query,
                    header: auth,
                    seconds: 3,
                    threads: 1,
                    connections: 1,
                    timeout: 30
                )
                try await Self.settle(pid)
            }
            result.measurements = measurements
            result.rssKiB = ProcessStats.residentKiB(pid: "\(pid)") ?? 0
        } catch {
            client.shutdown()
            BenchTorrusd.stop(process)
            BenchTorrusd.printLog(logFile)
            throw error
        }
        client.shutdown()
        BenchTorrusd.stop(process)
        // Nothing may have moved the seeded downloads: the pages measured are the seeded ones.
        let store = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        let after = try await store.countByStatus()
        try store.close()
        result.statusesUnchanged = after == seed.byStatus
        return result
    }

    /// Until torrusd is idle (under 10 % of a core for 250 ms): when wrk stops, up to 32 slow
    /// requests are still being answered, and the next run's first requests would wait for them.
    private static func settle(_ pid: Int32) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let before = ProcessStats.cpuTime(pid: pid)
            try await Task.sleep(for: .milliseconds(250))
            guard let before, let after = ProcessStats.cpuTime(pid: pid) else { return }
            if (after - before) < .milliseconds(25) { return }
        }
    }

    /// The filters, with the cursor of the page half way down found by paging there.
    private static func cases(client: BenchHTTPClient, size: Int, seed: ListSeed.Summary) async throws -> [Case] {
        var cursor: String?
        var seen = 0
        while seen < size / 2 {
            let query = "limit=\(min(1000, size / 2 - seen))" + (cursor.map { "&cursor=" + $0 } ?? "")
            let (status, _, body) = try await client.get("/v1/downloads?" + query)
            guard status == 200 else { throw BenchError.http("GET /v1/downloads?\(query) answered \(status)") }
            let page = try page(body)
            seen += page.items
            guard let next = page.next else { throw BenchError.check("the list ended after \(seen) of \(size) downloads") }
            cursor = next
        }
        guard let deep = cursor else { throw BenchError.check("no cursor half way down a list of \(size)") }
        return [
            Case(label: "first page", query: "limit=100", matching: nil),
            Case(label: "status=Complete", query: "status=Complete&limit=100", matching: seed.byStatus[.complete] ?? 0),
            Case(
                label: "category=\(ListSeed.category)",
                query: "category=\(ListSeed.category)&limit=100",
                matching: seed.byCategory[ListSeed.category] ?? 0
            ),
            Case(label: "tag=\(ListSeed.tag)", query: "tag=\(ListSeed.tag)&limit=100", matching: seed.byTag[ListSeed.tag] ?? 0),
            Case(label: "q=\(ListSeed.text)", query: "q=\(ListSeed.text)&limit=100", matching: seed.textMatches),
            Case(label: "q=\(ListSeed.rareText)", query: "q=\(ListSeed.rareText)&limit=100", matching: seed.rareTextMatches),
            Case(label: "q=\(ListSeed.absentText)", query: "q=\(ListSeed.absentText)&limit=100", matching: 0),
            Case(label: "sort=name&order=desc", query: "sort=name&order=desc&limit=100", matching: nil),
            Case(label: "cursor at \(seen)", query: "limit=100&cursor=\(deep)", matching: size - seen),
        ]
    }

    /// The items and `nextCursor` of a paged answer.
    private static func page(_ body: Data) throws -> (items: Int, next: String?) {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let items = object["items"] as? [Any] else {
            throw BenchError.http("a paged list that is not {\"items\": [...]}: \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return (items.count, object["nextCursor"] as? String)
    }
}
