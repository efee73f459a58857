import Foundation

/// One entry of the event log: numbered by the store in the transaction of the change it tells
/// of, kept for replay (`EventLog`) and published once committed. `data` is the JSON object a
/// client receives, built once when the change is stored and shared by every stream that sends it.
public struct LoggedEvent: Sendable, Equatable {
    public var sequence: Int64
    public var type: EventType
    /// The download the event is about; nil for an event of the downloader.
    public var downloadID: UUID?
    /// When it was committed, in microseconds since 1970 (also in `data`, as `at`).
    public var at: Int64
    public var data: [UInt8]

    public init(sequence: Int64, type: EventType, downloadID: UUID?, at: Int64, data: [UInt8]) {
        self.sequence = sequence
        self.type = type
        self.downloadID = downloadID
        self.at = at
        self.data = data
    }
}

/// An event before the store numbered it.
public struct UnnumberedEvent: Sendable, Equatable {
    public var type: EventType
    public var downloadID: UUID?
    public var at: Int64
    public var data: [UInt8]

    func numbered(_ sequence: Int64) -> LoggedEvent {
        LoggedEvent(sequence: sequence, type: type, downloadID: downloadID, at: at, data: data)
    }
}
