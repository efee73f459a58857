import Foundation
import Glibc
import Synchronization
import Torrus

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Issue 8: webhook delivery throughput, measured from outside the server. A release torrusd
/// without aria2 (`TORRUS_CLIENT=noop`: each download goes Queued → Active → Complete in 200 ms),
/// SQLite in a temporary directory, `LOG_LEVEL=warning`, one webhook target: the bench's own
/// receiver (`BenchWebhookReceiver`), for `download.created`, `download.status` and
/// `download.deleted`, with `TORRUS_WEBHOOK_CONCURRENCY` deliveries in flight. Two phases:
/// - live: a few concurrent clients create `downloads` downloads as fast as torrusd answers while
///   the deliveries flow; commit → receipt latency, and deliveries per second from the first
///   receipt to the last (paced by the creates when delivery keeps up);
/// - backlog: the receiver holds its answers while as many downloads again are created and
///   finish, then answers them all: the deliveries per second of torrusd draining its log, and
///   its CPU doing only that.
/// The receiver checks every signature, duplicates and per-download order throughout.
struct WebhooksRound {
    let downloads: Int
    let concurrency: Int
    /// Concurrent `POST /v1/downloads` clients.
    var creators = 4
    /// `TORRUS_NOOP_DURATION_MS`: start to Complete of each download.
    var noopMilliseconds = 200
    /// Events of the subscribed types each download makes: created, status to Active, to Complete.
    static let eventsPerDownload = 3
    static let types = ["download.created", "download.status", "download.deleted"]

    init(options: BenchOptions) {
        downloads = options.webhookDownloads
        concurrency = options.webhookConcurrency
    }

    func run() async throws -> Figures {
        let torrusd = try HTTPBench.siblingExecutable("torrusd")
        let directory = try TempDirectory()
        defer { directory.remove() }
        let receiver = try await BenchWebhookReceiver.start()
        do {
            let figures = try await run(torrusd, in: directory, receiver: receiver)
            await receiver.stop()
            return figures
        } catch {
            await receiver.stop()
            throw error
        }
    }

    private func run(_ torrusd: String, in directory: TempDirectory, receiver: BenchWebhookReceiver) async throws -> Figures {
        let port = try Aria2Process.freeLoopbackPort()
        let token = "bench-\(UUID().uuidString)"
        let logFile = directory.path + "/torrusd.log"
        let process = try startTorrusd(
            torrusd,
            data: try directory.subdirectory("data"),
            port: port,
            token: token,
            receiver: receiver,
            logFile: logFile
        )
        defer { BenchTorrusd.stop(process) }
        let client = BenchHTTPClient(port: port, token: token)
        defer { client.shutdown() }
        do {
            try await HTTPBench.waitForHTTP("http://127.0.0.1:\(port)/readyz")
            return try await measure(process: process, client: client, receiver: receiver)
        } catch {
            BenchTorrusd.printLog(logFile)
            throw error
        }
    }

    private func measure(process: Process, client: BenchHTTPClient, receiver: BenchWebhookReceiver) async throws -> Figures {
        let pid = process.processIdentifier
        var figures = Figures(downloads: downloads, concurrency: concurrency, creators: creators, noopMilliseconds: noopMilliseconds)
        // torrusd reports its target: "all delivered" is its word, not a guess.
        let reports = try await client.webhooks()
        guard reports.count == 1 else {
            throw BenchError.check("GET /v1/webhooks lists \(reports.count) targets, not the 1 the bench configured")
        }
        var watch = Watch(process: process, receiver: receiver, api: client)
        figures.rssBeforeKiB = ProcessStats.residentKiB(pid: "\(pid)") ?? 0
        figures.anonBeforeKiB = ProcessStats.anonymousKiB(pid: "\(pid)") ?? 0

        // Live: deliveries flow while the downloads are created, as they would in use.
        Output.note("webhooks: creating \(downloads) downloads with \(creators) clients, \(concurrency) deliveries in flight")
        let liveStart = Sample.take(pid)
        let live = Creation()
        async let liveCreated: Void = create(downloads, from: 0, client: client, into: live)
        let liveEnd = try await watch.wait(distinct: downloads * Self.eventsPerDownload, completed: downloads, creation: live)
        await liveCreated
        figures.liveOutcome = try await watch.confirm(liveEnd.outcome)
        let made = live.state.withLock { $0 }
        let liveState = receiver.snapshot()
        figures.live.analyse(liveState, since: BenchWebhookReceiver.State(), ids: made.ids, from: liveStart, to: liveEnd.sample)
        figures.live.created = made.ids.count
        figures.live.creationSeconds = made.finishedAt.map { ($0 - liveStart.at).seconds } ?? 0
        if let last = liveState.lastReceipt, let creationEnd = made.finishedWall { figures.liveTailMilliseconds = Double(last - creationEnd) / 1000 }
        figures.liveLatency = Percentiles(liveState.latencies)
        guard figures.liveOutcome == .complete else { return finish(figures, watch: watch, receiver: receiver) }

        // Backlog: the receiver holds its answers while as many downloads again are created and
        // finish; released, torrusd delivers the log's backlog as fast as it can.
        Output.note("webhooks: holding the receiver's answers, creating \(downloads) more downloads")
        receiver.hold()
        let backlogState = receiver.snapshot()
        let backlog = Creation()
        await create(downloads, from: downloads, client: client, into: backlog)
        if let failure = backlog.state.withLock({ $0.failure }) { throw failure }
        let total = 2 * downloads
        try await waitUntil("\(total) downloads to be Complete in torrusd", timeout: .seconds(60), interval: .milliseconds(250)) {
            try BenchTorrusd.check(process, during: "webhooks")
            return try await client.list().count(where: { $0.status == "Complete" }) >= total
        }
        // torrusd's deliveries in flight are at the receiver, waiting for their answer.
        let inFlight = min(concurrency, downloads)
        do {
            try await waitUntil("\(inFlight) deliveries to wait at the receiver", timeout: .seconds(10)) { receiver.held >= inFlight }
        } catch BenchError.timeout {
            // Reported: fewer held than TORRUS_WEBHOOK_CONCURRENCY.
        }
        Output.note("webhooks: releasing \(receiver.held) held deliveries and the backlog")
        let backlogStart = Sample.take(pid)
        let released = WallClock.now()
        figures.held = receiver.release()
        let backlogEnd = try await watch.wait(distinct: total * Self.eventsPerDownload, completed: total, creation: nil)
        figures.backlogOutcome = try await watch.confirm(backlogEnd.outcome)
        let final = receiver.snapshot()
        figures.backlog.analyse(final, since: backlogState, ids: backlog.state.withLock { $0.ids }, from: backlogStart, to: backlogEnd.sample)
        figures.backlog.created = backlog.state.withLock { $0.ids.count }
        if let last = final.lastReceipt { figures.backlog.drainSeconds = max(Double(last - released) / 1_000_000, 0) }
        return finish(figures, watch: watch, receiver: receiver)
    }

    /// The figures of the whole round: the receiver's checks, torrusd's memory and its report.
    private func finish(_ figures: Figures, watch: Watch, receiver: BenchWebhookReceiver) -> Figures {
        var figures = figures
        figures.checks(receiver.snapshot())
        let pid = "\(watch.process.processIdentifier)"
        figures.rssKiB = ProcessStats.residentKiB(pid: pid) ?? 0
        figures.anonKiB = ProcessStats.anonymousKiB(pid: pid) ?? 0
        figures.rssPeakKiB = max(watch.rssPeakKiB, figures.rssKiB)
        figures.anonPeakKiB = max(watch.anonPeakKiB, figures.anonKiB)
        figures.listSequence = watch.sequence
        figures.deliveredThrough = watch.target?.deliveredThrough
        figures.targetJSON = watch.target?.json
        return figures
    }

    /// CPU of torrusd (whole and per thread) and of the bench at one moment.
    struct Sample {
        let at: ContinuousClock.Instant
        let cpu: Duration?
        let threads: [Int32: ThreadCPU.Thread]
        let bench: Duration

        static func take(_ pid: Int32) -> Sample {
            Sample(at: .now, cpu: ProcessStats.cpuTime(pid: pid), threads: ThreadCPU.sample(pid: pid), bench: ProcessStats.selfCPUTime())
        }
    }

    /// Polls the receiver (and torrusd's report) until the deliveries are in.
    private struct Watch {
        let process: Process
        let receiver: BenchWebhookReceiver
        let api: BenchHTTPClient
        var rssPeakKiB = 0
        var anonPeakKiB = 0
        /// The `Torrus-Sequence` of the last list, and torrusd's last report of the target.
        var sequence: Int64?
        var target: BenchHTTPClient.WebhookTarget?

        init(process: Process, receiver: BenchWebhookReceiver, api: BenchHTTPClient) {
            self.process = process
            self.receiver = receiver
            self.api = api
        }

        /// Until `distinct` deliveries and `completed` downloads' status to Complete are in,
        /// `creation` being over. The sample is of the last poll that saw a new request: the end of the CPU
        /// window.
        mutating func wait(distinct: Int, completed: Int, creation: Creation?) async throws -> (outcome: Outcome, sample: Sample) {
            let pid = process.processIdentifier
            let started = ContinuousClock.now
            let deadline = started + .seconds(120) + .milliseconds(10 * distinct)
            var seen = receiver.progress()
            var lastGrowth = started
            var sample = Sample.take(pid)
            while true {
                try Interrupt.check()
                try BenchTorrusd.check(process, during: "webhooks")
                if let failure = creation?.state.withLock({ $0.failure }) { throw failure }
                let now = receiver.progress()
                rssPeakKiB = max(rssPeakKiB, ProcessStats.residentKiB(pid: "\(pid)") ?? 0)
                anonPeakKiB = max(anonPeakKiB, ProcessStats.anonymousKiB(pid: "\(pid)") ?? 0)
                if now.requests != seen.requests {
                    lastGrowth = .now
                    sample = Sample.take(pid)
                }
                seen = now
                let quiet = ContinuousClock.now - lastGrowth
                if creation?.state.withLock({ $0.finished }) ?? true {
                    let enough = seen.distinct >= distinct
                    if enough && seen.completed >= completed { return (.complete, sample) }
                    if quiet >= .seconds(15) { return (.stalled, sample) }
                }
                if ContinuousClock.now >= deadline { return (.deadline, sample) }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        /// torrusd's word: every event up to the list's sequence delivered (2xx) to the target.
        mutating func confirm(_ outcome: Outcome) async throws -> Outcome {
            sequence = try await api.listSequence()
            var outcome = outcome
            if outcome == .complete, let sequence {
                do {
                    try await waitUntil(
                        "GET /v1/webhooks to report deliveredThrough >= \(sequence)",
                        timeout: .seconds(30),
                        interval: .milliseconds(50)
                    ) {
                        try await api.webhooks().first?.deliveredThrough ?? 0 >= sequence
                    }
                } catch BenchError.timeout {
                    outcome = .behind
                }
            }
            target = try await api.webhooks().first
            return outcome
        }
    }

    /// `count` creates (sources numbered from `first`) from `creators` concurrent clients; a
    /// failure is recorded, not thrown, so the wait loop sees it at once.
    private func create(_ count: Int, from first: Int, client: BenchHTTPClient, into creation: Creation) async {
        let step = creators
        await withTaskGroup(of: Void.self) { group in
            for creator in 0..<step {
                group.addTask {
                    for index in stride(from: first + creator, to: first + count, by: step) {
                        do {
                            try Interrupt.check()
                            try Task.checkCancellation()
                            let download = try await client.create(source: "http://127.0.0.1:1/x\(index).bin")
                            creation.state.withLock { _ = $0.ids.insert(download.id) }
                        } catch {
                            creation.state.withLock { $0.failure = $0.failure ?? error }
                            return
                        }
                    }
                }
            }
        }
        creation.state.withLock {
            $0.finished = true
            $0.finishedAt = .now
            $0.finishedWall = WallClock.now()
        }
    }

    private func startTorrusd(
        _ executable: String,
        data: String,
        port: Int,
        token: String,
        receiver: BenchWebhookReceiver,
        logFile: String
    ) throws -> Process {
        let types = Self.types.map { "\"\($0)\"" }.joined(separator: ",")
        return try BenchTorrusd.start(
            executable,
            data: data,
            port: port,
            token: token,
            logFile: logFile,
            environment: [
                "TORRUS_STORAGE": "sqlite",
                "TORRUS_CLIENT": "noop",
                "TORRUS_NOOP_DURATION_MS": "\(noopMilliseconds)",
                "TORRUS_WEBHOOKS": #"[{"url":"\#(receiver.url)","secret":"\#(receiver.secret)","types":[\#(types)]}]"#,
                "TORRUS_WEBHOOK_CONCURRENCY": "\(concurrency)",
                // The backlog phase holds deliveries for as long as creating the downloads takes: no
                // attempt may time out meanwhile (a retry would show up as a duplicate).
                "TORRUS_WEBHOOK_TIMEOUT_MS": "600000",
            ]
        )
    }

    /// How the wait for deliveries ended.
    enum Outcome: Sendable {
        /// Every expected delivery arrived (and torrusd reports them delivered, where it can).
        case complete
        /// Nothing new for 15 s with deliveries missing.
        case stalled
        /// The round's deadline passed with deliveries missing.
        case deadline
        /// Everything arrived, but `GET /v1/webhooks` did not report it delivered within 30 s.
        case behind
        /// Not run: the live phase was incomplete.
        case skipped
    }

    /// The creators' results, shared with the wait loop.
    fileprivate final class Creation: Sendable {
        struct State: Sendable {
            var ids: Set<String> = []
            var failure: (any Error)?
            var finished = false
            var finishedAt: ContinuousClock.Instant?
            var finishedWall: Int64?
        }

        let state = Mutex(State())
    }
}
