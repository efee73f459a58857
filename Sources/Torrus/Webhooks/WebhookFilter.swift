import Foundation

/// A target's `types` and `downloads`, as the API and `TORRUS_WEBHOOKS` give them.
enum WebhookFilter {
    /// No `types` means `Webhook.defaultTypes`; an empty list is refused (it would match nothing).
    static func parse(types: [String]?, downloads: [String]?) throws -> EventFilter {
        var filter = EventFilter(types: Webhook.defaultTypes)
        if let types {
            guard !types.isEmpty else { throw TorrusError.invalidInput("types must name at least one event type; leave it out for the default.") }
            filter.types = try Set(types.map(type))
        }
        if let downloads {
            guard downloads.count <= 1000 else { throw TorrusError.invalidInput("downloads names more than 1000 downloads.") }
            filter.downloads = try Set(
                downloads.map { raw in
                    guard let id = UUID(text: raw) else {
                        throw TorrusError.invalidInput("downloads: '\(TextRules.escapingControls(String(raw.prefix(40))))' is not a download id.")
                    }
                    return id
                }
            )
        }
        return filter
    }

    private static func type(_ raw: String) throws -> EventType {
        guard let type = EventType(rawValue: raw), type != .reset else {
            throw TorrusError.invalidInput(
                "types: '\(TextRules.escapingControls(String(raw.prefix(40))))' is not an event type; one of \(EventType.subscribable.map(\.rawValue).joined(separator: ", "))."
            )
        }
        return type
    }
}
