/// Polls `condition` every `interval` until it holds, or throws `BenchError.timeout` after
/// `timeout` with `what` and the current `progress()` — so a stuck run says how far it got.
/// Polling (not continuations) keeps every wait trivially bounded and cancellable; the bench's
/// waits are for human-scale events, so a 10–50 ms poll costs nothing measurable.
func waitUntil(
    _ what: String,
    timeout: Duration,
    interval: Duration = .milliseconds(20),
    progress: () -> String = { "" },
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        try Interrupt.check()
        if try await condition() { return }
        if ContinuousClock.now >= deadline {
            let seen = progress()
            throw BenchError.timeout("\(what) within \(timeout)" + (seen.isEmpty ? "" : " (\(seen))"))
        }
        try await Task.sleep(for: interval)
    }
}

/// Sleeps `duration` in short steps so an interrupt ends it early.
func pause(_ duration: Duration) async throws {
    let end = ContinuousClock.now + duration
    while ContinuousClock.now < end {
        try Interrupt.check()
        try await Task.sleep(for: min(.milliseconds(100), end - ContinuousClock.now))
    }
}

extension Duration {
    /// Milliseconds as a Double, for printing latencies with sub-millisecond precision.
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    var seconds: Double { milliseconds / 1000 }
}
