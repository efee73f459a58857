/// What one reader thread saw on its streams; merged over the threads at the end. Drops are
/// counted apart from what happened once torrusd was told to stop (`shutdown…`), which is
/// expected to end every stream.
struct EventLog: Sendable {
    /// Events committed at or after the reader's `recordFrom`, with their receipt times.
    var deliveries: [EventDelivery] = []
    /// Names of the recorded events that are neither progress nor status, with their counts.
    /// Only these few cost a String each.
    var otherNames: [String: Int] = [:]
    /// Comment lines (`: heartbeat`).
    var comments = 0
    /// Events whose `id:` was not above the previous one on the same stream.
    var outOfOrder = 0
    /// Events whose data had no `"at"` the bench could read.
    var withoutTimestamp = 0
    /// `reset` events before shutdown.
    var resets = 0
    /// Streams that got a `reset` or ended before shutdown, and why the ended ones ended.
    var streamsDropped = 0
    var endings: [String: Int] = [:]
    var shutdownResets = 0
    var shutdownEndings = 0
    /// Streams still open when the bench stopped reading.
    var openAtStop = 0

    mutating func merge(_ other: EventLog) {
        deliveries += other.deliveries
        comments += other.comments
        outOfOrder += other.outOfOrder
        otherNames.merge(other.otherNames, uniquingKeysWith: +)
        withoutTimestamp += other.withoutTimestamp
        resets += other.resets
        streamsDropped += other.streamsDropped
        endings.merge(other.endings, uniquingKeysWith: +)
        shutdownResets += other.shutdownResets
        shutdownEndings += other.shutdownEndings
        openAtStop += other.openAtStop
    }
}
