/// One change as a store committed it, numbered inside the transaction that made it: sequence
/// numbers grow by one per change, in commit order, and survive restarts of a persistent store
/// (the client event stream will use them as event ids).
public struct CommittedChange: Sendable, Equatable {
    public var sequence: Int64
    public var change: DownloadChange
    /// The stored representation after the change (`DownloadEncoding`); nil for a deletion.
    public var representation: [UInt8]?

    public init(sequence: Int64, change: DownloadChange, representation: [UInt8]?) {
        self.sequence = sequence
        self.change = change
        self.representation = representation
    }
}
