/// aria2's error codes (its manual, "EXIT STATUS"), in words a user can act on. aria2's own
/// `errorMessage` is often terse ("No URI available."), so a Failed download's message leads
/// with these and keeps aria2's text after them.
enum Aria2ErrorCode {
    static func words(_ code: Int) -> String? {
        switch code {
        case 1: "An unknown error occurred"
        case 2: "The connection timed out"
        case 3: "The resource was not found"
        case 4: "The resource was not found too many times (max-file-not-found)"
        case 5: "The download was aborted because it was too slow (lowest-speed-limit)"
        case 6: "A network problem occurred"
        case 7: "The download was unfinished when aria2 stopped"
        case 8: "The server does not support resuming, which this download needed; a retry starts it over"
        case 9: "There is not enough disk space"
        case 10: "The piece length differs from the one in the .aria2 control file"
        case 11: "aria2 was already downloading the same file"
        case 12: "aria2 was already downloading a torrent with the same info-hash"
        case 13: "The file already exists"
        case 14: "Renaming the file failed"
        case 15: "The existing file could not be opened"
        case 16: "The file could not be created or truncated"
        case 17: "A file I/O error occurred"
        case 18: "The directory could not be created"
        case 19: "The host name could not be resolved"
        case 20: "The Metalink document could not be parsed"
        case 21: "An FTP command failed"
        case 22: "The HTTP response header was bad or unexpected"
        case 23: "There were too many redirects"
        case 24: "HTTP authorization failed"
        case 25: "The bencoded file could not be parsed"
        case 26: "The .torrent file is corrupt or lacks information"
        case 27: "The magnet URI is bad"
        case 28: "An option was bad or unexpected"
        case 29: "The server is overloaded or down for maintenance"
        case 30: "The JSON-RPC request could not be parsed"
        case 32: "The checksum does not match"
        default: nil
        }
    }

    /// A Failed download's message: the words for `code`, then what aria2 said.
    static func message(code: Int, aria2Message: String?) -> String {
        let said = aria2Message.flatMap { $0.isEmpty ? nil : $0 }
        switch (words(code), said) {
        case (let words?, let said?): return "\(words) (aria2 error \(code): \(said))"
        case (let words?, nil): return "\(words) (aria2 error \(code))"
        case (nil, let said?): return "aria2 error \(code): \(said)"
        case (nil, nil): return "aria2 reported error \(code)"
        }
    }
}
