import Foundation

// torrus-bench: measures Torrus against a real aria2c, all on 127.0.0.1. It prints numbers; it
// is not a test and asserts only what the numbers need to mean something (see docs/benchmarks.md).

let options: BenchOptions
do {
    options = try BenchOptions.parse(Array(CommandLine.arguments.dropFirst()))
} catch .help {
    Output.line(BenchOptions.usage)
    exit(0)
} catch {
    Output.error("torrus-bench: \(error)")
    exit(2)
}

Interrupt.install()
Output.line("torrus-bench on \(MachineInfo.describe())")
Output.line(
    "downloads \(options.downloads), active \(options.active.map(String.init).joined(separator: ",")), window \(options.windowSeconds) s,"
        + " poll \(options.pollMilliseconds) ms, throttle \(options.rateBytesPerSecond) B/s"
)

if options.storeOnly {
    do {
        try await StoreRound().run()
        exit(0)
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}

/// The event stream round (issue 8): a release torrusd of its own, like the HTTP round.
func runEventsRound(_ options: BenchOptions) async {
    do {
        try await EventsRound(options: options).run().print()
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}

/// The webhook throughput round (issue 8): a release noop torrusd delivering to the bench.
func runWebhooksRound(_ options: BenchOptions) async {
    do {
        try await WebhooksRound(options: options).run().print()
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}

/// The list round (issue 9): filtered pages of a seeded store, a release noop torrusd under wrk.
func runListRound(_ options: BenchOptions) async {
    do {
        try await ListRound(options: options).run()
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}

/// The upload round (issue 9): 1 MiB torrents to a noop and an aria2 torrusd, and to aria2c alone.
func runUploadRound(_ options: BenchOptions) async {
    do {
        try await UploadRound(options: options).run().print()
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}

if options.eventsOnly || options.webhooksOnly || options.listOnly || options.uploadOnly {
    if options.eventsOnly { await runEventsRound(options) }
    if options.webhooksOnly { await runWebhooksRound(options) }
    if options.listOnly { await runListRound(options) }
    if options.uploadOnly { await runUploadRound(options) }
    exit(0)
}

if !options.skipHTTP {
    do {
        let figures = try await HTTPBench(
            runs: options.httpRuns,
            downloads: options.httpDownloads,
            seconds: options.httpSeconds,
            active: options.active.max() ?? 0,
            rate: options.rateBytesPerSecond,
            window: options.windowSeconds
        ).run()
        figures.print()
    } catch {
        Output.error("torrus-bench: \(error)")
        exit(1)
    }
}
if !options.skipEvents { await runEventsRound(options) }
if !options.skipWebhooks { await runWebhooksRound(options) }
if !options.skipList { await runListRound(options) }
if !options.skipUpload { await runUploadRound(options) }
if options.skipLatency && options.skipRPC { exit(0) }

do {
    try await BenchEnvironment.run(options) { environment in
        if !options.skipLatency {
            let result = try await LatencyBench(environment: environment).run()
            result.print()
        }
        if !options.skipRPC {
            var rounds: [RPCRateBench.Round] = []
            for count in options.active {
                rounds.append(try await RPCRateBench(environment: environment).run(active: count))
            }
            if rounds.count > 1 {
                let rates = rounds.map(\.callsPerSecond)
                Output.line(
                    "== RPC calls/s by active downloads: "
                        + rounds.map { "\($0.active): \(fixed($0.callsPerSecond))" }.joined(separator: ", ")
                        + " (spread \(fixed(rates.max()! - rates.min()!)) calls/s)"
                )
            }
        }
        // Not benchmark figures, but the bench is the one place that watches the feed under load.
        // Everything the bench created is deleted by now, so every per-status gauge must be 0.
        let gauges = PrometheusSnapshot.read(environment.registry).byLabel(PrometheusSnapshot.downloads).filter { $0.value != 0 }
        if !gauges.isEmpty {
            Output.line(
                "== torrus_downloads after deleting every download (all should be 0): "
                    + gauges.sorted(by: { $0.key < $1.key }).map { "\($0.key) \(Int($0.value))" }.joined(separator: ", ")
            )
        }
        let late = environment.tracker.changesAfterDeletion
        let reordered = environment.tracker.outOfOrderUpdates
        if late > 0 || reordered > 0 {
            Output.line(
                "== Change feed order: \(late) change(s) delivered after their download's .deleted"
                    + " (\(environment.tracker.statusChangesAfterDeletion) of them status changes), \(reordered) update(s) whose old status"
                    + " was not the last one published (out-of-order publish; see docs/benchmarks.md)"
            )
        }
    }
} catch {
    Output.error("torrus-bench: \(error)")
    exit(1)
}
