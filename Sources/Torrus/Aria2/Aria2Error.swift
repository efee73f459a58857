/// What can go wrong talking to aria2.
public enum Aria2Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// aria2 answered with a JSON-RPC error.
    case rpc(code: Int, message: String)
    /// aria2 could not be reached, or the connection died mid-call.
    case unavailable(String)
    /// No answer within `ARIA2_TIMEOUT_MS`.
    case timeout(method: String)
    /// aria2 answered something that is not the JSON-RPC Torrus expects.
    case malformed(String)
    /// Torrus would not send the call (a value aria2 must never see).
    case refused(String)

    /// aria2 says "this GID does not exist", in any of its wordings: `GID … is not found`,
    /// `Active Download not found for GID#…`, `No such download for GID#…`,
    /// `Could not remove download result of GID#…`.
    public var isGIDNotFound: Bool {
        guard case .rpc(_, let message) = self else { return false }
        let lower = message.lowercased()
        return lower.contains("not found") || lower.contains("no such download")
            || lower.contains("could not remove download result")
    }

    public var description: String {
        switch self {
        case .rpc(let code, let message): "aria2 error \(code): \(message)"
        case .unavailable(let reason): "aria2 is unavailable: \(reason)"
        case .timeout(let method): "aria2 did not answer \(method) in time"
        case .malformed(let reason): "aria2 sent an unexpected answer: \(reason)"
        case .refused(let reason): reason
        }
    }

    /// How the service reports it: a 502 for aria2's failures, with a code telling the two apart;
    /// a 409 for a call Torrus refused to make.
    var torrusError: TorrusError {
        switch self {
        case .rpc: .downloaderRejected(description)
        case .unavailable, .timeout, .malformed: .downloaderUnavailable(description)
        case .refused: .conflict(description)
        }
    }
}
