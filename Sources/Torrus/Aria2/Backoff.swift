/// Capped exponential backoff with jitter for reconnects: 50 ms, 100 ms, … up to `cap`, each
/// delay drawn between half and all of its step so that many clients do not retry in lockstep.
struct Backoff {
    var base: Duration = .milliseconds(50)
    var cap: Duration = .seconds(5)
    private(set) var attempt = 0

    init(base: Duration = .milliseconds(50), cap: Duration = .seconds(5)) {
        self.base = base
        self.cap = cap
    }

    mutating func next() -> Duration {
        let step = min(cap, base * (1 << min(attempt, 20)))
        attempt += 1
        return step * Double.random(in: 0.5...1.0)
    }

    mutating func reset() { attempt = 0 }
}
