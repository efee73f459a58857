/// One event as one subscriber received it. Kept as plain integers (32 bytes): a 30 s window at
/// 200 subscribers holds ~600,000 of them.
struct EventDelivery: Sendable {
    enum Kind: UInt8, Sendable {
        case progress
        case status
        case other
    }

    /// The event's `id:`; -1 for a progress event that coalescing held back (sent without one).
    var id: Int64
    /// `at` of its data: when torrusd committed the change, microseconds since 1970.
    var committed: Int64
    /// When the read that brought the event's last byte returned, microseconds since 1970.
    var received: Int64
    var kind: Kind
}
