/// One change to one download, as the change feed publishes it (DESIGN.md §10).
public enum DownloadChange: Sendable, Equatable {
    case created(Download)
    case updated(old: Download, new: Download)
    case deleted(Download)

    /// The download after the change, or before it for a deletion.
    public var download: Download {
        switch self {
        case .created(let download), .deleted(let download): download
        case .updated(_, let new): new
        }
    }
}
