extension EventsRound {
    /// What the events round prints. Latencies are in ms; a "delivery" is one event on one stream.
    struct Figures {
        let subscribers: Int
        let active: Int
        let rate: Int
        var seconds = 0.0
        /// Commit → receipt of every delivery with an `id:` committed in the window.
        var perDelivery = Percentiles([])
        /// Per event committed in the window and received by every stream still open: commit →
        /// the last stream's receipt.
        var lastSubscriber = Percentiles([])
        /// Per event committed in the window: commit → the last receipt among the streams that
        /// got it with its id (coalescing sends it to the others later, without one).
        var lastReceiver = Percentiles([])
        /// Events (by id) committed in the window, and how many of them some open stream lacked.
        var events = 0
        var partialEvents = 0
        /// Deliveries received in the window, per kind, and those without an `id:` (coalesced).
        var received = 0
        var byKind: [EventDelivery.Kind: Int] = [:]
        var heldBack = 0
        var heldBackLatency = Percentiles([])
        var cpuPercent = 0.0
        var baselineCPUPercent = 0.0
        var benchCPUPercent = 0.0
        /// torrusd's threads that used the most CPU in the window: (name, % of one core).
        var busiestThreads: [(String, Double)] = []
        var rssBeforeKiB = 0
        var anonBeforeKiB = 0
        var rssKiB = 0
        var anonKiB = 0
        var rssPeakKiB = 0
        var anonPeakKiB = 0
        var log = EventLog()
        var openAtShutdown = 0
        var streamsEndedAfter: Duration?
        var exitedAfter: Duration?

        init(subscribers: Int, active: Int, rate: Int) {
            self.subscribers = subscribers
            self.active = active
            self.rate = rate
        }

        /// The readers' deliveries, cut to the window [start, end) (microseconds since 1970).
        mutating func analyse(_ log: EventLog, from start: Int64, to end: Int64) {
            self.log = log
            var delivered: [Double] = []
            var coalesced: [Double] = []
            // Per event id: how many streams got it, its commit time, the latest receipt.
            var reach: [Int64: (count: Int, committed: Int64, last: Int64)] = [:]
            for delivery in log.deliveries {
                if delivery.received >= start, delivery.received < end {
                    received += 1
                    byKind[delivery.kind, default: 0] += 1
                    if delivery.id < 0 { heldBack += 1 }
                }
                guard delivery.committed >= start, delivery.committed < end else { continue }
                let latency = Double(delivery.received - delivery.committed) / 1000
                guard delivery.id >= 0 else {
                    coalesced.append(latency)
                    continue
                }
                delivered.append(latency)
                let seen = reach[delivery.id] ?? (0, delivery.committed, delivery.received)
                reach[delivery.id] = (seen.count + 1, seen.committed, max(seen.last, delivery.received))
            }
            // A stream that dropped lacks every event after its drop; those still count as reached.
            let open = subscribers - log.streamsDropped
            let complete = reach.values.filter { $0.count >= open }
            perDelivery = Percentiles(delivered)
            lastSubscriber = Percentiles(complete.map { Double($0.last - $0.committed) / 1000 })
            lastReceiver = Percentiles(reach.values.map { Double($0.last - $0.committed) / 1000 })
            heldBackLatency = Percentiles(coalesced)
            events = reach.count
            partialEvents = reach.count - complete.count
        }

        func print() {
            let target = 20.0
            Output.line(
                "== Event stream fan-out: \(subscribers) subscribers of GET /v1/events, \(active) active downloads throttled to \(rate) B/s,"
                    + " \(fixed(seconds, 1)) s window (release torrusd, own process)"
            )
            Output.line(
                "   commit -> received, per delivery:        p50 \(fixed(perDelivery.p(50))) ms   p90 \(fixed(perDelivery.p(90))) ms"
                    + "   p99 \(fixed(perDelivery.p(99))) ms   max \(fixed(perDelivery.max)) ms   (\(perDelivery.sorted.count) deliveries)"
            )
            Output.line(
                "   commit -> last of the \(subscribers - log.streamsDropped) streams, per event: p50 \(fixed(lastSubscriber.p(50))) ms"
                    + "   p99 \(fixed(lastSubscriber.p(99))) ms   max \(fixed(lastSubscriber.max)) ms   (\(lastSubscriber.sorted.count) events"
                    + (partialEvents > 0 ? "; \(partialEvents) of \(events) did not reach every open stream" : "") + ")"
            )
            if partialEvents > 0 {
                Output.line(
                    "   commit -> last stream that got it with its id, all \(events) events: p50 \(fixed(lastReceiver.p(50))) ms"
                        + "   p99 \(fixed(lastReceiver.p(99))) ms   max \(fixed(lastReceiver.max)) ms"
                )
            }
            let p99 = lastSubscriber.p(99)
            Output.line("   target p99 <= \(fixed(target, 0)) ms (last subscriber): \(p99.isFinite && p99 <= target ? "met" : "MISSED")")
            let perSecond = Double(received) / max(seconds, 0.001)
            Output.line(
                "   received \(fixed(perSecond, 0)) events/s in total, \(fixed(perSecond / Double(max(subscribers, 1)), 1)) per stream"
                    + " (download.progress \(byKind[.progress, default: 0]), download.status \(byKind[.status, default: 0]),"
                    + " other \(byKind[.other, default: 0])"
                    + (log.otherNames.isEmpty ? "" : " (" + log.otherNames.keys.sorted().joined(separator: ", ") + ")")
                    + "; \(heldBack) progress events held back by coalescing, sent without id"
                    + (heldBackLatency.sorted.isEmpty ? "" : " p50 \(fixed(heldBackLatency.p(50))) ms after their commit") + ")"
            )
            Output.line(
                "   torrusd: CPU \(fixed(cpuPercent)) % of one core (\(fixed(baselineCPUPercent)) % with the same downloads and no subscribers);"
                    + " RSS \(rssKiB / 1024) MiB (anonymous \(anonKiB / 1024)) at the end, peak \(rssPeakKiB / 1024) (\(anonPeakKiB / 1024)),"
                    + " \(rssBeforeKiB / 1024) (\(anonBeforeKiB / 1024)) before the subscribers"
            )
            Output.line(
                "   torrusd's busiest threads: " + busiestThreads.map { "\($0.0) \(fixed($0.1)) %" }.joined(separator: ", ")
                    + "; the bench's readers (this process): CPU \(fixed(benchCPUPercent)) % of one core"
            )
            let endings = log.endings.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            Output.line(
                "   streams dropped or reset: \(log.streamsDropped) of \(subscribers) (reset events \(log.resets)"
                    + (endings.isEmpty ? "" : "; ended: \(endings)") + "); ids out of order \(log.outOfOrder);"
                    + " events without a readable \"at\" \(log.withoutTimestamp); comment lines \(log.comments)"
            )
            let ended = streamsEndedAfter.map { "all ended \(fixed($0.milliseconds, 0)) ms after it" } ?? "\(log.openAtStop) still open 10 s after it"
            let exited = exitedAfter.map { "torrusd exited \(fixed($0.seconds, 2)) s after it" } ?? "torrusd had not exited 10 s after it (killed)"
            Output.line(
                "   SIGTERM with \(openAtShutdown) streams open: \(ended) (\(log.shutdownResets) with a reset event), \(exited)"
            )
        }
    }
}
