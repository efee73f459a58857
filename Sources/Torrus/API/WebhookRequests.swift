/// `POST /v1/webhooks` body.
struct CreateWebhookRequest: Decodable {
    var url: String
    var types: [String]?
    var downloads: [String]?

    private enum CodingKeys: String, CodingKey { case url, types, downloads }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["url", "types", "downloads"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        url = try container.decode(String.self, forKey: .url)
        types = try container.decodeIfPresent([String].self, forKey: .types)
        downloads = try container.decodeIfPresent([String].self, forKey: .downloads)
    }
}

/// `PATCH /v1/webhooks/{id}` body.
struct PatchWebhookRequest: Decodable {
    var patch: WebhookPatch

    private enum CodingKeys: String, CodingKey { case url, types, downloads, paused }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["url", "types", "downloads", "paused"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        patch = WebhookPatch(
            url: try container.decodeIfPresent(String.self, forKey: .url),
            types: try container.decodeIfPresent([String].self, forKey: .types),
            downloads: try container.decodeIfPresent([String].self, forKey: .downloads),
            paused: try container.decodeIfPresent(Bool.self, forKey: .paused)
        )
    }
}
