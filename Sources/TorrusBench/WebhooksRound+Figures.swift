extension WebhooksRound {
    /// What the webhooks round prints. Latencies are in ms; a "delivery" is one distinct
    /// `webhook-id` received (a duplicate counts apart).
    struct Figures {
        let downloads: Int
        let concurrency: Int
        let creators: Int
        let noopMilliseconds: Int
        var live = Phase()
        var backlog = Phase()
        var liveOutcome = Outcome.complete
        var backlogOutcome = Outcome.skipped
        /// Commit (the body's `timestamp`) → receipt of every live delivery.
        var liveLatency = Percentiles([])
        /// The last create's answer → the last live receipt: what delivery still had to do.
        var liveTailMilliseconds: Double?
        /// Requests the receiver was holding when it released them (torrusd's deliveries in flight).
        var held = 0

        // The receiver's checks, over the whole round.
        var requests = 0
        var invalidSignatures = 0
        var duplicates = 0
        var unreadable = 0
        var timestampMismatches = 0
        var outOfOrder = 0

        var rssBeforeKiB = 0
        var anonBeforeKiB = 0
        var rssKiB = 0
        var anonKiB = 0
        var rssPeakKiB = 0
        var anonPeakKiB = 0
        /// `Torrus-Sequence` of the last list, and what `GET /v1/webhooks` said then.
        var listSequence: Int64?
        var deliveredThrough: Int64?
        var targetJSON: String?

        init(downloads: Int, concurrency: Int, creators: Int, noopMilliseconds: Int) {
            self.downloads = downloads
            self.concurrency = concurrency
            self.creators = creators
            self.noopMilliseconds = noopMilliseconds
        }

        mutating func checks(_ state: BenchWebhookReceiver.State) {
            requests = state.requests
            invalidSignatures = state.invalidSignatures
            duplicates = state.duplicates
            unreadable = state.unreadable
            timestampMismatches = state.timestampMismatches
            outOfOrder = state.outOfOrder
        }

        func print() {
            let expected = downloads * WebhooksRound.eventsPerDownload
            Output.line(
                "== Webhooks: 1 target, TORRUS_WEBHOOK_CONCURRENCY \(concurrency), noop downloads of \(noopMilliseconds) ms"
                    + " created by \(creators) clients (release torrusd, own process)"
            )
            Output.line(
                "   live: \(live.created) downloads created in \(fixed(live.creationSeconds)) s"
                    + " (\(fixed(Double(live.created) / max(live.creationSeconds, 0.001), 0))/s) while delivering; \(live.received(expected))"
            )
            Output.line(
                "      first -> last receipt \(fixed(live.drainSeconds)) s: \(fixed(live.perSecond, 0)) deliveries/s (paced by the creates if"
                    + " delivery keeps up); last receipt \(liveTailMilliseconds.map { "\(fixed($0, 0)) ms" } ?? "n/a") after the last create"
                    + " returned; at most \(live.maxInFlight) in flight"
            )
            Output.line(
                "      commit -> received: p50 \(fixed(liveLatency.p(50))) ms   p90 \(fixed(liveLatency.p(90))) ms"
                    + "   p99 \(fixed(liveLatency.p(99))) ms   max \(fixed(liveLatency.max)) ms   (\(liveLatency.sorted.count) deliveries)"
            )
            Output.line("      \(live.cpu("creates and deliveries"))")
            if backlogOutcome != .skipped {
                Output.line(
                    "   backlog: \(backlog.created) more downloads created and finished with the receiver's answers held"
                        + " (\(held) deliveries waiting when released); \(backlog.received(expected))"
                )
                Output.line(
                    "      release -> last receipt \(fixed(backlog.drainSeconds)) s: \(fixed(backlog.perSecond, 0)) deliveries/s;"
                        + " at most \(backlog.maxInFlight) in flight"
                )
                Output.line("      \(backlog.cpu("deliveries only"))")
            }
            Output.line(
                "   checks over \(requests) requests: invalid signatures \(invalidSignatures) (must be 0: \(invalidSignatures == 0 ? "ok" : "FAILED")),"
                    + " duplicates \(duplicates), unreadable \(unreadable), timestamp != data.at \(timestampMismatches),"
                    + " out of order within a download \(outOfOrder)"
            )
            Output.line(
                "   torrusd RSS \(rssBeforeKiB / 1024) MiB before, peak \(rssPeakKiB / 1024), \(rssKiB / 1024) at the end"
                    + " (anonymous \(anonBeforeKiB / 1024), \(anonPeakKiB / 1024), \(anonKiB / 1024))"
            )
            if let deliveredThrough {
                Output.line(
                    "   GET /v1/webhooks: deliveredThrough \(deliveredThrough), list's Torrus-Sequence \(listSequence.map(String.init) ?? "n/a")"
                        + (targetJSON.map { ": " + $0.prefix(400) } ?? "")
                )
            }
            for (name, outcome, phase) in [("live", liveOutcome, live), ("backlog", backlogOutcome, backlog)] {
                let missing = expected - phase.distinct
                switch outcome {
                case .complete, .skipped: break
                case .stalled: Output.line("   INCOMPLETE (\(name)): nothing new arrived for 15 s with \(missing) deliveries missing")
                case .deadline: Output.line("   INCOMPLETE (\(name)): the deadline passed with \(missing) deliveries missing")
                case .behind: Output.line("   INCOMPLETE (\(name)): GET /v1/webhooks did not report the list's sequence delivered within 30 s")
                }
            }
        }
    }

    /// One phase's deliveries (counted from the receiver's state at its start) and torrusd's CPU.
    struct Phase {
        var created = 0
        var creationSeconds = 0.0
        var distinct = 0
        var byType: [String: Int] = [:]
        /// Of the phase's downloads: how many had their `download.created`, their status to Complete.
        var createdDelivered = 0
        var completeDelivered = 0
        /// First → last receipt (live), release → last receipt (backlog).
        var drainSeconds = 0.0
        var maxInFlight = 0
        var cpuPercent = 0.0
        var benchCPUPercent = 0.0
        var busiestThreads: [(String, Double)] = []
        var cpuSeconds = 0.0

        var perSecond: Double { drainSeconds > 0 ? Double(distinct) / drainSeconds : .nan }

        mutating func analyse(
            _ state: BenchWebhookReceiver.State,
            since start: BenchWebhookReceiver.State,
            ids: Set<String>,
            from before: Sample,
            to after: Sample
        ) {
            distinct = state.ids.count - start.ids.count
            byType = state.byType.reduce(into: [:]) { types, entry in
                let count = entry.value - (start.byType[entry.key] ?? 0)
                if count > 0 { types[entry.key] = count }
            }
            createdDelivered = ids.intersection(state.created).count
            completeDelivered = ids.intersection(state.completed).count
            if let first = state.firstReceipt, let last = state.lastReceipt { drainSeconds = Double(last - first) / 1_000_000 }
            maxInFlight = state.maxInFlight
            cpuSeconds = (after.at - before.at).seconds
            let window = max(cpuSeconds, 0.001)
            if let cpu = before.cpu, let end = after.cpu { cpuPercent = (end - cpu).seconds / window * 100 }
            benchCPUPercent = (after.bench - before.bench).seconds / window * 100
            busiestThreads = ThreadCPU.busiest(from: before.threads, to: after.threads, seconds: window)
        }

        func received(_ expected: Int) -> String {
            let types = byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "received \(distinct) of \(expected) expected (\(types.isEmpty ? "none" : types)),"
                + " \(completeDelivered) of \(created) downloads with their status to Complete"
                + (createdDelivered == created ? "" : ", \(createdDelivered) with download.created")
        }

        func cpu(_ what: String) -> String {
            "torrusd CPU \(fixed(cpuPercent)) % of one core over \(fixed(cpuSeconds)) s (\(what)); busiest threads "
                + busiestThreads.map { "\($0.0) \(fixed($0.1)) %" }.joined(separator: ", ")
                + "; the bench (receiver, creators) \(fixed(benchCPUPercent)) %"
        }
    }
}
