/// A failure Torrus reports to its callers: a stable code plus a human explanation.
/// The API maps each code to one HTTP status (API/ProblemDetails+TorrusError.swift).
public struct TorrusError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Bad input: malformed, wrong type, not allowed.
        case invalidInput = "invalid-input"
        case notFound = "not-found"
        /// The request is well-formed but contradicts the download's state.
        case conflict = "conflict"
        /// An input over one of Torrus's stated size limits.
        case tooLarge = "too-large"
        /// The downloader could not be reached (connection refused, timeout).
        case downloaderUnavailable = "downloader-unavailable"
        /// The downloader answered, with an error.
        case downloaderRejected = "downloader-rejected"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func invalidInput(_ message: String) -> TorrusError { .init(.invalidInput, message) }
    public static func notFound(_ message: String) -> TorrusError { .init(.notFound, message) }
    public static func conflict(_ message: String) -> TorrusError { .init(.conflict, message) }
    public static func tooLarge(_ message: String) -> TorrusError { .init(.tooLarge, message) }
    public static func downloaderUnavailable(_ message: String) -> TorrusError { .init(.downloaderUnavailable, message) }
    public static func downloaderRejected(_ message: String) -> TorrusError { .init(.downloaderRejected, message) }

    public var description: String { "\(code.rawValue): \(message)" }
}
