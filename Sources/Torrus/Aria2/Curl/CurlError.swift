import CCurl

/// A failure of the curl transport. Messages never contain a URL's userinfo.
public struct CurlError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable {
        /// libcurl failed the transfer; `code` is the CURLcode.
        case transport
        /// The operation's deadline passed (CURLE_OPERATION_TIMEDOUT, a pong that never came...).
        case timeout
        /// The client or connection is closed (shut down, peer went away, close frame).
        case closed
        /// An HTTP status the caller did not accept; `code` is the status.
        case httpStatus
    }

    public var kind: Kind
    /// A CURLcode for `.transport`/`.timeout`/`.closed` (0 when no curl call failed), the
    /// HTTP status for `.httpStatus`.
    public var code: Int
    public var message: String

    public init(kind: Kind, code: Int, message: String) {
        self.kind = kind
        self.code = code
        self.message = Curl.redactingUserinfo(message)
    }

    public var description: String {
        "CurlError.\(kind.rawValue)(\(code)): \(message)"
    }

    static func closed(_ message: String, code: Int = 0) -> CurlError {
        CurlError(kind: .closed, code: code, message: message)
    }

    static func timeout(_ message: String, code: Int = Int(CURLE_OPERATION_TIMEDOUT.rawValue)) -> CurlError {
        CurlError(kind: .timeout, code: code, message: message)
    }

    /// A failed CURLcode: `.timeout` for CURLE_OPERATION_TIMEDOUT, `.transport` otherwise.
    static func curl(_ code: CURLcode, message: String) -> CurlError {
        if code == CURLE_OPERATION_TIMEDOUT {
            return CurlError(kind: .timeout, code: Int(code.rawValue), message: message)
        }
        return CurlError(kind: .transport, code: Int(code.rawValue), message: message)
    }
}
