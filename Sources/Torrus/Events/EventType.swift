/// What an entry of the event log says happened (`GET /v1/events`, and the `event:` field of the
/// stream). `reset` is never logged: a stream sends it to a client that must fetch the list again.
public enum EventType: String, Sendable, CaseIterable, Codable {
    case downloadCreated = "download.created"
    /// The status or the desired status changed (an error comes with its status).
    case downloadStatus = "download.status"
    case downloadProgress = "download.progress"
    /// The name, the files, the GID (or the info-hash), the options, category or tags changed.
    case downloadMeta = "download.meta"
    case downloadDeleted = "download.deleted"
    /// The push link to aria2 came up (changes it missed meanwhile follow as download events).
    case downloaderConnected = "downloader.connected"
    case downloaderDisconnected = "downloader.disconnected"
    case reset

    /// The types a client may ask for in `?types=`.
    public static let subscribable: [EventType] = allCases.filter { $0 != .reset }
}
