/// The statuses a client may ask for with `PATCH`. `Resume` is an alias of `Active`.
public enum RequestedStatus: String, Sendable, CaseIterable {
    case active = "Active"
    case paused = "Paused"
    case cancelled = "Cancelled"

    /// Parses the wire value; `Resume` and `Active` both mean "run it".
    public init?(wireValue: String) {
        switch wireValue {
        case "Active", "Resume": self = .active
        case "Paused": self = .paused
        case "Cancelled": self = .cancelled
        default: return nil
        }
    }

    public var desired: DesiredStatus {
        switch self {
        case .active: .active
        case .paused: .paused
        case .cancelled: .cancelled
        }
    }
}

/// What the downloader must do to honour a requested status.
public enum DownloadCommand: String, Sendable {
    case resume, pause, cancel
    /// Start a Failed or Cancelled download again, under a new GID.
    case retry
}

public enum TransitionPlan: Sendable, Equatable {
    /// Asked for what is already wanted and true: nothing to do.
    case unchanged
    /// Only the wish changes (e.g. `Active` for a queued download); no downloader call.
    case recordDesired
    case command(DownloadCommand)
}

/// The transition table (README, "Status transitions"). Decided on the *actual* status, so a
/// request that failed half-way (downloader unreachable) can simply be repeated.
public enum Transitions {
    public static func plan(
        status: DownloadStatus,
        desired: DesiredStatus,
        requested: RequestedStatus
    ) -> Result<TransitionPlan, TorrusError> {
        let sameWish: TransitionPlan = desired == requested.desired ? .unchanged : .recordDesired
        switch (requested, status) {
        case (.active, .queued), (.active, .active):
            return .success(sameWish)
        case (.active, .paused):
            return .success(.command(.resume))
        case (.active, .failed), (.active, .cancelled):
            return .success(.command(.retry))
        case (.active, .complete):
            return .failure(.conflict("The download is already Complete; there is nothing to start."))

        case (.paused, .queued), (.paused, .active):
            return .success(.command(.pause))
        case (.paused, .paused):
            return .success(sameWish)
        case (.paused, _):
            return .failure(.conflict("A \(status.rawValue) download cannot be paused."))

        case (.cancelled, .queued), (.cancelled, .active), (.cancelled, .paused):
            return .success(.command(.cancel))
        case (.cancelled, .cancelled):
            return .success(sameWish)
        case (.cancelled, _):
            return .failure(
                .conflict("A \(status.rawValue) download cannot be cancelled; delete it to remove it.")
            )
        }
    }
}
