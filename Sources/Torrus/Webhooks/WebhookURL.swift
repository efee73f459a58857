import Foundation

/// A target's URL: `http` or `https` with a host, no user or password (the URL is shown in every
/// answer about the target; a credential belongs in the receiver's check of the signature), no
/// fragment, no whitespace or control characters, at most 2048 bytes. Private addresses are
/// allowed: receivers usually run next to Torrus. Requests never follow redirects.
enum WebhookURL {
    static let maxBytes = 2048

    static func validate(_ raw: String) throws -> String {
        if let control = TextRules.firstControl(in: raw) {
            throw TorrusError.invalidInput("url must not contain control characters (found \(TextRules.describe(control.value))).")
        }
        guard raw.utf8.count <= maxBytes else { throw TorrusError.invalidInput("url is longer than \(maxBytes) bytes.") }
        guard !raw.unicodeScalars.contains(where: { $0.properties.isWhitespace || TextRules.isInvisible($0) }) else {
            throw TorrusError.invalidInput("url must not contain whitespace or invisible characters.")
        }
        guard let components = URLComponents(string: raw), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https"
        else {
            throw TorrusError.invalidInput("url must be an http or https URL.")
        }
        guard let host = components.host, !host.isEmpty else { throw TorrusError.invalidInput("url has no host.") }
        guard components.user == nil, components.password == nil else {
            throw TorrusError.invalidInput("url must not carry a user or password; receivers check the signature instead.")
        }
        guard components.fragment == nil else { throw TorrusError.invalidInput("url must not have a fragment.") }
        if let port = components.port, !(1...65535).contains(port) { throw TorrusError.invalidInput("url has an invalid port.") }
        return raw
    }
}
