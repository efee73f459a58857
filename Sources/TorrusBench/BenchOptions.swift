import Foundation

/// The bench's command line. Parsed by hand from `CommandLine.arguments`: the target may not
/// grow dependencies (no ArgumentParser here), and the flags are few.
struct BenchOptions: Sendable {
    /// How many downloads the completion-latency round creates (at least 50, so p99 means something).
    var downloads = 100
    /// The active-download counts of the RPC-rate rounds, in order.
    var active = [10, 100, 500]
    /// How long each RPC-rate round samples the counters.
    var windowSeconds = 10
    /// Torrus's progress poll interval (`ARIA2_POLL_MS`).
    var pollMilliseconds = 1000
    /// Throttle of each active download (bytes/s): low enough that none finishes during a round.
    var rateBytesPerSecond = 2048
    /// Size of each active download: with the rate above it runs for hours.
    var activeSize = 64 << 20
    /// Throttle of each latency download (bytes/s); nil: full speed, so aria2 reports start and
    /// complete within the same millisecond and Torrus handles both back to back.
    var latencyRate: Int?
    var skipLatency = false
    var skipRPC = false
    var skipHTTP = false
    /// wrk runs of the HTTP round, each `httpSeconds` long per URL.
    var httpRuns = 3
    var httpSeconds = 10
    /// Downloads in torrusd's store while the HTTP round measures.
    var httpDownloads = 1000
    /// Run only `StoreRound` (the event path's store writes, no aria2).
    var storeOnly = false
    /// `EventsRound` (GET /v1/events fan-out): subscribers, active downloads, sampling window.
    var eventSubscribers = 200
    var eventActive = 100
    var eventSeconds = 30
    var skipEvents = false
    var eventsOnly = false
    /// `WebhooksRound`: downloads of each phase (created as fast as possible), and torrusd's
    /// deliveries in flight (`TORRUS_WEBHOOK_CONCURRENCY`).
    var webhookDownloads = 2000
    var webhookConcurrency = 8
    var skipWebhooks = false
    var webhooksOnly = false
    /// `ListRound`: store sizes, wrk runs per filter and their length.
    var listSizes = [10_000, 100_000]
    var listRuns = 3
    var listSeconds = 10
    var skipList = false
    var listOnly = false
    /// `UploadRound`: timed uploads of each form per server.
    var uploadCount = 50
    var skipUpload = false
    var uploadOnly = false

    static let usage = """
        usage: torrus-bench [--downloads N] [--active 10,100,500] [--window-seconds 10] [--poll-ms 1000]
                            [--rate BYTES_PER_SEC] [--latency-rate BYTES_PER_SEC] [--skip-latency] [--skip-rpc]
                            [--http-runs 3] [--http-seconds 10] [--http-downloads 1000] [--skip-http] [--store-only]
                            [--event-subscribers 200] [--event-active 100] [--event-seconds 30] [--skip-events] [--events-only]
                            [--webhook-downloads 2000] [--webhook-concurrency 8] [--skip-webhooks] [--webhooks-only]
                            [--list-sizes 10000,100000] [--list-runs 3] [--list-seconds 10] [--skip-list] [--list-only]
                            [--upload-count 50] [--skip-upload] [--upload-only]
        Run from the repository root (it starts Tests/Support/testpeers.py). Everything runs on
        127.0.0.1 in a temporary directory; see docs/benchmarks.md.
          --downloads N        completion-latency sample size (>= 50, default 100)
          --active LIST        active downloads per RPC-rate round (default 10,100,500)
          --window-seconds S   sampling window of each RPC-rate round (default 10)
          --poll-ms MS         Torrus's ARIA2_POLL_MS (default 1000)
          --rate B             throttle of each active download in bytes/s (default 2048)
          --latency-rate B     throttle each latency download too (default: full speed), so that
                               start and complete notifications are apart
          --skip-latency       skip the completion-latency round
          --skip-rpc           skip the RPC-rate / CPU / RSS rounds
          --http-runs N        wrk runs of the HTTP round (default 3)
          --http-seconds S     length of each wrk run (default 10)
          --http-downloads N   downloads in the store during the HTTP round (default 1000)
          --skip-http          skip the HTTP round (a release torrusd under wrk)
          --store-only         only the store round: progress flushes and unchanged sweeps of the
                               SQLite store, without aria2
          --event-subscribers N  GET /v1/events streams of the events round (default 200)
          --event-active N     active (throttled) downloads of the events round (default 100)
          --event-seconds S    sampling window of the events round (default 30)
          --skip-events        skip the events round (a release torrusd with N event streams)
          --events-only        only the events round
          --webhook-downloads N  downloads of each phase of the webhooks round (live, then backlog),
                               3 deliveries each (default 2000)
          --webhook-concurrency C  TORRUS_WEBHOOK_CONCURRENCY of the webhooks round (default 8)
          --skip-webhooks      skip the webhooks round (a release noop torrusd delivering to the bench)
          --webhooks-only      only the webhooks round
          --list-sizes LIST    downloads seeded in the store of each list round (default 10000,100000)
          --list-runs N        wrk runs per filter of the list round (default 3)
          --list-seconds S     length of each wrk run of the list round (default 10)
          --skip-list          skip the list round (filtered pages of a seeded store, release noop torrusd)
          --list-only          only the list round
          --upload-count N     timed 1 MiB torrent uploads per form and server (default 50)
          --skip-upload        skip the upload round (torrent uploads to noop and aria2 torrusd, and to aria2c alone)
          --upload-only        only the upload round
        """

    /// Parses `arguments` (without the program name). Throws `BenchError.usage` with one line
    /// naming the bad flag; `--help` throws `.help`.
    static func parse(_ arguments: [String]) throws(BenchError) -> BenchOptions {
        var options = BenchOptions()
        var rest = arguments[...]
        func value(_ flag: String) throws(BenchError) -> String {
            guard let value = rest.popFirst() else { throw .usage("\(flag) needs a value") }
            return value
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws(BenchError) -> Int {
            let raw = try value(flag)
            guard let number = Int(raw), range.contains(number) else {
                throw .usage("\(flag) must be a whole number in \(range.lowerBound)...\(range.upperBound), not '\(raw)'")
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--downloads": options.downloads = try integer(flag, 50...10_000)
            case "--active":
                let raw = try value(flag)
                let counts = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 590 }) else {
                    // aria2c runs with --max-concurrent-downloads=600: more would queue, not run.
                    throw .usage("--active must be a comma-separated list of counts in 1...590, not '\(raw)'")
                }
                options.active = counts.compactMap { $0 }
            case "--window-seconds": options.windowSeconds = try integer(flag, 1...3600)
            case "--poll-ms": options.pollMilliseconds = try integer(flag, 50...600_000)
            case "--rate": options.rateBytesPerSecond = try integer(flag, 1...1_000_000)
            case "--latency-rate": options.latencyRate = try integer(flag, 1024...100_000_000)
            case "--skip-latency": options.skipLatency = true
            case "--skip-rpc": options.skipRPC = true
            case "--skip-http": options.skipHTTP = true
            case "--store-only": options.storeOnly = true
            case "--http-runs": options.httpRuns = try integer(flag, 1...50)
            case "--http-seconds": options.httpSeconds = try integer(flag, 1...600)
            case "--http-downloads": options.httpDownloads = try integer(flag, 1...1_000_000)
            case "--event-subscribers": options.eventSubscribers = try integer(flag, 1...5000)
            case "--event-active": options.eventActive = try integer(flag, 1...590)
            case "--event-seconds": options.eventSeconds = try integer(flag, 1...3600)
            case "--skip-events": options.skipEvents = true
            case "--events-only": options.eventsOnly = true
            case "--webhook-downloads": options.webhookDownloads = try integer(flag, 1...100_000)
            case "--webhook-concurrency": options.webhookConcurrency = try integer(flag, 1...256)
            case "--skip-webhooks": options.skipWebhooks = true
            case "--webhooks-only": options.webhooksOnly = true
            case "--list-sizes":
                let raw = try value(flag)
                let sizes = raw.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 200 && ($0 ?? 0) <= 1_000_000 }) else {
                    throw .usage("--list-sizes must be a comma-separated list of counts in 200...1000000, not '\(raw)'")
                }
                options.listSizes = sizes.compactMap { $0 }
            case "--list-runs": options.listRuns = try integer(flag, 1...50)
            case "--list-seconds": options.listSeconds = try integer(flag, 1...600)
            case "--skip-list": options.skipList = true
            case "--list-only": options.listOnly = true
            case "--upload-count": options.uploadCount = try integer(flag, 10...10_000)
            case "--skip-upload": options.skipUpload = true
            case "--upload-only": options.uploadOnly = true
            case "--help", "-h": throw .help
            default: throw .usage("unknown argument '\(flag)'")
            }
        }
        return options
    }
}
