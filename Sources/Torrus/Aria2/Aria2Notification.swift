/// One of aria2's six WebSocket notifications. Only a hint that something happened to `gid`:
/// Torrus asks aria2 for the truth (`tellStatus`) before it reports anything.
public struct Aria2Notification: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case downloadStart = "aria2.onDownloadStart"
        case downloadPause = "aria2.onDownloadPause"
        case downloadStop = "aria2.onDownloadStop"
        case downloadComplete = "aria2.onDownloadComplete"
        case downloadError = "aria2.onDownloadError"
        case btDownloadComplete = "aria2.onBtDownloadComplete"
    }

    public var kind: Kind
    public var gid: String
}
