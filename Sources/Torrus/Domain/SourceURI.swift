import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Download sources are handed to aria2 verbatim, so anything aria2 would interpret as a local path
/// or an unexpected protocol (file:, data:, a bare path) must be refused here, before it reaches the daemon.
public enum SourceURI {
    /// aria2 accepts far longer URIs, but nothing legitimate needs more, and the limit bounds what we store.
    static let maxBytes = 8192

    static let schemeMessage = "source must be an http, https, ftp, sftp or magnet URI"
    static let magnetMessage = "magnet source needs xt=urn:btih: with a 40-hex or 32-base32 info-hash"
    static let encodedControlMessage =
        "source must not contain percent-encoded control characters (such as %00 or %0A) in its host, path or magnet parameters"

    /// Trims whitespace and validates a download source. Accepts well-formed `http`, `https`, `ftp`, `sftp`
    /// URIs (scheme case-insensitive, non-empty host, no whitespace or control characters, valid port if any,
    /// at most 8192 bytes) and `magnet:` URIs that carry at least one `xt=urn:btih:<hash>` where hash is 40 hex
    /// digits or 32 base32 characters (RFC 4648 alphabet, case-insensitive). Everything else (other schemes like
    /// file:, javascript:, relative strings, empty) throws TorrusError.invalidInput with a message naming what is wrong.
    /// Returns the trimmed source unchanged otherwise.
    public static func validate(_ raw: String) throws -> String {
        // Checked before trimming: a leading or trailing newline is as hostile as one inside.
        if let control = TextRules.firstControl(in: raw) {
            throw TorrusError.invalidInput("source must not contain control characters (found \(TextRules.describe(control.value)))")
        }
        let source = raw.trimmingCharacters(in: .whitespaces)
        guard !source.isEmpty else { throw TorrusError.invalidInput("source is empty") }
        guard source.utf8.count <= maxBytes else {
            throw TorrusError.invalidInput("source is longer than \(maxBytes) bytes")
        }
        // Embedded whitespace, invisible or bidi-override characters make aria2, its logs and a
        // reader of the API see a different URI than the one that was validated.
        if let hidden = source.unicodeScalars.first(where: TextRules.isInvisible) {
            throw TorrusError.invalidInput("source must not contain invisible or bidi-control characters (found \(TextRules.describe(hidden.value)))")
        }
        guard !source.unicodeScalars.contains(where: { $0.properties.isWhitespace })
        else { throw TorrusError.invalidInput("source contains whitespace") }

        guard let colon = source.firstIndex(of: ":"), isScheme(source[..<colon]) else {
            throw TorrusError.invalidInput(schemeMessage)
        }
        let scheme = source[..<colon].lowercased()
        let rest = source[source.index(after: colon)...]
        switch scheme {
        case "magnet":
            guard magnetInfoHash(source) != nil else { throw TorrusError.invalidInput(magnetMessage) }
            // aria2 decodes dn= into a name; encoded, a control character would still arrive.
            guard !hasEncodedControl(rest) else { throw TorrusError.invalidInput(encodedControlMessage) }
        case "http", "https", "ftp", "sftp":
            try validateHierarchical(rest, scheme: scheme)
        default:
            throw TorrusError.invalidInput(schemeMessage)
        }
        return source
    }

    /// The lower-case 40-hex info-hash of a magnet URI (base32 hashes are converted to hex), nil if none/invalid.
    public static func magnetInfoHash(_ source: String) -> String? {
        let source = source.trimmingCharacters(in: .whitespacesAndNewlines)
        let prefix = "magnet:?"
        guard source.utf8.count > prefix.utf8.count,
            String(decoding: source.utf8.prefix(prefix.utf8.count), as: UTF8.self).lowercased() == prefix
        else { return nil }
        let query = String(decoding: source.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
        // BEP 9 allows several numbered topics (xt.1, xt.2, …); a hybrid v1/v2 magnet may list btmh first.
        for parameter in query.split(separator: "&") {
            guard let equals = parameter.firstIndex(of: "=") else { continue }
            let key = parameter[..<equals].lowercased()
            guard key == "xt" || (key.hasPrefix("xt.") && key.count > 3 && key.dropFirst(3).unicodeScalars.allSatisfy(isASCIIDigit))
            else { continue }
            let rawValue = String(parameter[parameter.index(after: equals)...])
            // Some clients percent-encode the colons of the URN.
            let value = rawValue.removingPercentEncoding ?? rawValue
            let urnPrefix = "urn:btih:"
            guard value.lowercased().hasPrefix(urnPrefix) else { continue }
            if let hex = infoHashHex(value.dropFirst(urnPrefix.count)) { return hex }
        }
        return nil
    }

    // MARK: - Hierarchical URIs

    /// RFC 3986 scheme grammar, ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), so that a bare path containing a
    /// colon ("dir/a:b") is reported as "not a URI" rather than as an unknown scheme.
    private static func isScheme(_ candidate: Substring) -> Bool {
        guard let first = candidate.unicodeScalars.first, isASCIILetter(first) else { return false }
        return candidate.unicodeScalars.allSatisfy { isASCIILetter($0) || isASCIIDigit($0) || "+-.".unicodeScalars.contains($0) }
    }

    private static func validateHierarchical(_ afterScheme: Substring, scheme: String) throws {
        guard afterScheme.hasPrefix("//") else {
            throw TorrusError.invalidInput("\(scheme) source must have the form \(scheme)://host/…")
        }
        let afterSlashes = afterScheme.dropFirst(2)
        let authority = afterSlashes.prefix { $0 != "/" && $0 != "?" && $0 != "#" }

        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            // The authority is the part aria2 connects to, so it is held to the RFC grammar: a stray '\' or '@'
            // here is exactly how "user@evil\@good" style confusion between parsers starts.
            guard userInfo.unicodeScalars.allSatisfy({ isUnreserved($0) || isSubDelim($0) || $0 == ":" || $0 == "%" }),
                hasValidPercentEncoding(userInfo)
            else { throw TorrusError.invalidInput("source user info is not valid") }
            hostAndPort = authority[authority.index(after: at)...]
        }

        let host: Substring
        let port: Substring?
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]") else {
                throw TorrusError.invalidInput("source host is not a valid IPv6 literal")
            }
            host = hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close]
            let afterHost = hostAndPort[hostAndPort.index(after: close)...]
            if afterHost.isEmpty {
                port = nil
            } else if afterHost.hasPrefix(":") {
                port = afterHost.dropFirst()
            } else {
                throw TorrusError.invalidInput("source host is not a valid IPv6 literal")
            }
            guard isIPv6Literal(host) else { throw TorrusError.invalidInput("source host is not a valid IPv6 literal") }
        } else {
            if let colon = hostAndPort.firstIndex(of: ":") {
                host = hostAndPort[..<colon]
                port = hostAndPort[hostAndPort.index(after: colon)...]
            } else {
                host = hostAndPort
                port = nil
            }
            guard !host.isEmpty else { throw TorrusError.invalidInput("source has an empty host") }
            guard host.unicodeScalars.allSatisfy({ !$0.isASCII || isHostScalar($0) }), hasValidPercentEncoding(host)
            else { throw TorrusError.invalidInput("source host is not valid") }
        }

        // The host is what aria2 resolves and the path what it names the file after, both
        // percent-decoded: %00 or %0A there is a control character by the time it is used.
        let path = afterSlashes.dropFirst(authority.count).prefix { $0 != "?" && $0 != "#" }
        guard !hasEncodedControl(authority), !hasEncodedControl(path) else { throw TorrusError.invalidInput(encodedControlMessage) }

        if let port {
            guard !port.isEmpty, port.utf8.count <= 5, port.unicodeScalars.allSatisfy(isASCIIDigit),
                let number = Int(port), (1...65535).contains(number)
            else { throw TorrusError.invalidInput("source port must be a number between 1 and 65535") }
        }
    }

    /// Registered names are kept to what DNS and IPv4 literals actually use (plus non-ASCII for IDNs);
    /// the RFC's sub-delims are legal but only ever seen in attacks on parser differences.
    private static func isHostScalar(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || isASCIIDigit(scalar) || "-._~%".unicodeScalars.contains(scalar)
    }

    private static func isIPv6Literal(_ literal: Substring) -> Bool {
        // RFC 6874 zone identifiers ("%25eth0") are not part of the address inet_pton understands.
        var address = literal
        if let percent = literal.firstIndex(of: "%") {
            let zone = literal[percent...]
            guard zone.hasPrefix("%25"), zone.count > 3,
                zone.dropFirst(3).unicodeScalars.allSatisfy({ isUnreserved($0) || $0 == "%" })
            else { return false }
            address = literal[..<percent]
        }
        var buffer = in6_addr()
        return String(address).withCString { inet_pton(AF_INET6, $0, &buffer) } == 1
    }

    private static func isUnreserved(_ scalar: Unicode.Scalar) -> Bool {
        isASCIILetter(scalar) || isASCIIDigit(scalar) || "-._~".unicodeScalars.contains(scalar)
    }

    private static func isSubDelim(_ scalar: Unicode.Scalar) -> Bool {
        "!$&'()*+,;=".unicodeScalars.contains(scalar)
    }

    private static func hasValidPercentEncoding(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, bytes[index + 1].hexDigitValue != nil, bytes[index + 2].hexDigitValue != nil else {
                    return false
                }
                index += 3
            } else {
                index += 1
            }
        }
        return true
    }

    /// Whether percent-decoding `text` yields a control character (C0, DEL or C1).
    private static func hasEncodedControl(_ text: Substring) -> Bool {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return false }
        return TextRules.firstControl(in: percentDecoded(text)) != nil
    }

    /// `%XX` sequences decoded to bytes, everything else kept; invalid UTF-8 repaired with U+FFFD.
    private static func percentDecoded(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = bytes[index + 1].hexDigitValue,
                let low = bytes[index + 2].hexDigitValue
            {
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    // MARK: - Names

    /// The name the downloader will most likely give the payload, known before it starts: the
    /// last path segment, decoded, of an http(s)/ftp/sftp source (`index.html` for none, as
    /// aria2 does), or a magnet's `dn`. The downloader's own report replaces it once it has one.
    public static func suggestedName(_ source: String) -> String? {
        guard let colon = source.firstIndex(of: ":") else { return nil }
        let scheme = source[..<colon].lowercased()
        let rest = source[source.index(after: colon)...]
        let encoded: Substring
        if scheme == "magnet" {
            guard let query = rest.split(separator: "?", maxSplits: 1).last,
                let dn = query.split(separator: "&").first(where: { $0.lowercased().hasPrefix("dn=") })
            else { return nil }
            encoded = dn.dropFirst(3)
        } else {
            guard rest.hasPrefix("//") else { return nil }
            let afterHost = rest.dropFirst(2).drop { $0 != "/" && $0 != "?" && $0 != "#" }
            let path = afterHost.prefix { $0 != "?" && $0 != "#" }
            guard let last = path.split(separator: "/", omittingEmptySubsequences: false).last, !last.isEmpty else { return "index.html" }
            encoded = last
        }
        let name = percentDecoded(scheme == "magnet" ? Substring(encoded.replacingOccurrences(of: "+", with: " ")) : encoded)
        // A decoded '/' would make the name a path; '.' and '..' are not names.
        let leaf = name.split(separator: "/").last.map(String.init) ?? ""
        guard !leaf.isEmpty, leaf != ".", leaf != "..", TextRules.firstControl(in: leaf) == nil else { return nil }
        return leaf
    }

    // MARK: - Info-hashes

    private static func infoHashHex(_ hash: Substring) -> String? {
        let bytes = Array(hash.utf8)
        if bytes.count == 40, bytes.allSatisfy({ $0.hexDigitValue != nil }) {
            return String(decoding: bytes, as: UTF8.self).lowercased()
        }
        if bytes.count == 32, let decoded = base32Decode(bytes) {
            return decoded.lowercaseHex
        }
        return nil
    }

    /// 32 base32 characters are exactly 160 bits, so no padding or leftover bits need handling.
    private static func base32Decode(_ characters: [UInt8]) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(characters.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for character in characters {
            let value: UInt8
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = character - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = character - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = character - UInt8(ascii: "2") + 26
            default: return nil
            }
            // Never more than 12 pending bits, so the mask only discards bits already emitted.
            buffer = ((buffer << 5) | UInt32(value)) & 0x1FFF
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }

    // Free helpers rather than extensions on Unicode.Scalar, so they cannot collide with the module's other extensions.
    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
}
