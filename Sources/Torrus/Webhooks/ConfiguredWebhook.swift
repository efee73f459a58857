import Crypto
import Foundation

/// A target given in `TORRUS_WEBHOOKS` (a JSON array of `{"url", "secret", "types", "downloads"}`).
/// Its id is derived from its URL, so it keeps its place in the log, its attempts and its pause
/// across restarts; it is changed or removed only there.
public struct ConfiguredWebhook: Sendable, Equatable {
    public var url: String
    public var secret: WebhookSecret
    public var filter: EventFilter

    public init(url: String, secret: WebhookSecret, filter: EventFilter) {
        self.url = url
        self.secret = secret
        self.filter = filter
    }

    /// A name-based UUID (version 5 layout, SHA-256) of the URL.
    public var id: UUID {
        var bytes = Array(SHA256.hash(data: Array("torrus-webhook:\(url)".utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }

    /// Parses `TORRUS_WEBHOOKS`. Errors name the entry and field, never the secret.
    public static func parse(_ text: String) throws -> [ConfiguredWebhook] {
        struct Entry: Decodable {
            var url: String
            var secret: String
            var types: [String]?
            var downloads: [String]?
        }
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: Data(text.utf8))
        } catch {
            throw TorrusError.invalidInput(
                #"TORRUS_WEBHOOKS must be a JSON array of {"url": …, "secret": "whsec_…", "types": [ … ], "downloads": [ … ]}"#
            )
        }
        var seen: Set<String> = []
        return try entries.enumerated().map { index, entry in
            let at = "TORRUS_WEBHOOKS[\(index)]"
            let url: String
            do { url = try WebhookURL.validate(entry.url) } catch let error as TorrusError {
                throw TorrusError.invalidInput("\(at): \(error.message)")
            }
            guard seen.insert(url).inserted else { throw TorrusError.invalidInput("\(at): url appears twice.") }
            guard let secret = WebhookSecret(text: entry.secret) else {
                throw TorrusError.invalidInput("\(at): secret must be whsec_ and the base64 of 24 to 64 random bytes.")
            }
            do {
                let filter = try WebhookFilter.parse(types: entry.types, downloads: entry.downloads)
                return ConfiguredWebhook(url: url, secret: secret, filter: filter)
            } catch let error as TorrusError {
                throw TorrusError.invalidInput("\(at): \(error.message)")
            }
        }
    }
}
