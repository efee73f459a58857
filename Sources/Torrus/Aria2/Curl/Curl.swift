import CCurl
import Glibc

/// Process-wide libcurl facts and set-up.
///
/// Thread rules for everything under `Aria2/Curl`: a curl easy or multi handle is only ever
/// touched by the one thread that owns it (the dedicated thread of a `CurlHTTPClient` or a
/// `CurlWebSocket`). Other threads hand work over under a lock and wake the owner
/// (`curl_multi_wakeup`, the only thread-safe multi call, or a pipe).
enum Curl {
    /// `curl_global_init` runs exactly once per process: a `static let` is initialised lazily
    /// and atomically (swift_once), whatever thread gets here first.
    private static let globalInitResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_ALL))

    /// Initialises libcurl for the process. Idempotent and thread-safe; call before any handle.
    static func initializeOnce() {
        let result = globalInitResult
        precondition(result == CURLE_OK, "curl_global_init failed: \(errorString(result))")
    }

    /// The libcurl version string, e.g. "8.14.1".
    static var version: String {
        initializeOnce()
        guard let info = torrus_version_info(), let version = info.pointee.version else { return "unknown" }
        return String(cString: version)
    }

    /// Whether the linked libcurl speaks WebSocket (`ws` among its protocols).
    static var supportsWebSocket: Bool {
        initializeOnce()
        guard let info = torrus_version_info(), var protocols = info.pointee.protocols else { return false }
        while let name = protocols.pointee {
            if String(cString: name) == "ws" { return true }
            protocols += 1
        }
        return false
    }

    /// `curl_easy_strerror`.
    static func errorString(_ code: CURLcode) -> String {
        String(cString: curl_easy_strerror(code))
    }

    /// Removes the userinfo (`user:password@`) from every `scheme://...` URL inside `text`,
    /// so an error message can never carry a secret embedded in a URL.
    static func redactingUserinfo(_ text: String) -> String {
        var bytes = Array(text.utf8)
        var searchFrom = 0
        while searchFrom + 3 <= bytes.count {
            guard let schemeEnd = indexOf(separator: bytes, from: searchFrom) else { break }
            let authorityStart = schemeEnd + 3
            var authorityEnd = authorityStart
            var lastAt: Int?
            while authorityEnd < bytes.count {
                let byte = bytes[authorityEnd]
                if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "?") || byte == UInt8(ascii: "#")
                    || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
                    || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ">")
                {
                    break
                }
                if byte == UInt8(ascii: "@") { lastAt = authorityEnd }
                authorityEnd += 1
            }
            if let lastAt {
                bytes.removeSubrange(authorityStart...lastAt)
            }
            searchFrom = authorityStart
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func indexOf(separator bytes: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 3 <= bytes.count {
            if bytes[index] == UInt8(ascii: ":") && bytes[index + 1] == UInt8(ascii: "/")
                && bytes[index + 2] == UInt8(ascii: "/")
            {
                return index
            }
            index += 1
        }
        return nil
    }

    /// The message to report for a failed transfer: curl's per-handle error buffer if it says
    /// something, otherwise `curl_easy_strerror`.
    static func message(for code: CURLcode, errorBuffer: UnsafeMutablePointer<CChar>?) -> String {
        if let errorBuffer, errorBuffer.pointee != 0 {
            return String(cString: errorBuffer)
        }
        return errorString(code)
    }

    /// Sets `FD_CLOEXEC` on every socket libcurl opens (CURLOPT_SOCKOPTFUNCTION), so the
    /// sockets never leak into child processes (aria2c is spawned by this very process).
    static func setCloseOnExec(on handle: UnsafeMutableRawPointer) {
        _ = torrus_easy_setopt_sockopt_callback(handle, CURLOPT_SOCKOPTFUNCTION) { _, socket, _ in
            let flags = fcntl(socket, F_GETFD)
            if flags >= 0 { _ = fcntl(socket, F_SETFD, flags | FD_CLOEXEC) }
            return Int32(CURL_SOCKOPT_OK)
        }
    }

    /// Milliseconds of a `Duration`, rounded up, at least `minimum`.
    static func milliseconds(_ duration: Duration, minimum: Int = 1) -> Int {
        let (seconds, attoseconds) = duration.components
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        if millis.overflow { return Int.max }
        let fraction = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        let total = millis.partialValue.addingReportingOverflow(fraction)
        if total.overflow { return Int.max }
        return max(minimum, Int(total.partialValue))
    }
}
