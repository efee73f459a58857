/// How hard Torrus tries to deliver (`TORRUS_WEBHOOK_*`).
public struct WebhookPolicy: Sendable, Equatable {
    /// One attempt's limit, connecting included.
    public var timeout: Duration = .seconds(10)
    /// Attempts per message before it is marked failed.
    public var maxAttempts = 12
    /// The wait before the second attempt; it doubles with each attempt, up to `maxDelay`, and is
    /// jittered (a random value between half and all of it) so that retries of many messages
    /// spread out.
    public var retryBase: Duration = .seconds(1)
    public var maxDelay: Duration = .seconds(15 * 60)
    /// A target is paused after this many messages in a row failed for good.
    public var pauseAfter = 5
    /// Messages in flight to one target at once (never two of one download: those go in order).
    public var concurrency = 8
    /// Events read ahead of the oldest one still in flight.
    public var window = 1000

    public init() {}

    /// The wait after failed attempt `attempt` (1 for the first).
    func delay(after attempt: Int, random: Double = Double.random(in: 0.5...1)) -> Duration {
        let doubled = retryBase * Double(1 << min(max(attempt - 1, 0), 30))
        return min(doubled, maxDelay) * random
    }
}
