import Foundation
import Hummingbird

/// `GET/PATCH /v1/settings`: `{"maxConcurrentDownloads", "maxDownloadLimit", "maxUploadLimit"}`,
/// null where Torrus never set one (aria2's own configuration stands).
struct SettingsController {
    let service: SettingsService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("settings", use: get)
        group.patch("settings", use: patch)
        table.add(base + "/settings", [.get, .patch])
    }

    private struct Body: Encodable {
        let settings: GlobalSettings

        private enum Keys: String, CodingKey { case maxConcurrentDownloads, maxDownloadLimit, maxUploadLimit }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(settings.maxConcurrentDownloads, forKey: .maxConcurrentDownloads)
            try container.encode(settings.maxDownloadLimit, forKey: .maxDownloadLimit)
            try container.encode(settings.maxUploadLimit, forKey: .maxUploadLimit)
        }
    }

    @Sendable func get(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(Body(settings: try await service.current()))
    }

    @Sendable func patch(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let change = try await JSONBody.decode(SettingsRequest.self, from: request, context: context)!.settings
        return try JSONResponse.make(Body(settings: try await service.change(change)))
    }
}

/// `PATCH /v1/settings` body.
struct SettingsRequest: Decodable {
    var settings = GlobalSettings()

    private enum CodingKeys: String, CodingKey { case maxConcurrentDownloads, maxDownloadLimit, maxUploadLimit }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["maxConcurrentDownloads", "maxDownloadLimit", "maxUploadLimit"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        settings.maxConcurrentDownloads = try container.decodeIfPresent(Int.self, forKey: .maxConcurrentDownloads)
        settings.maxDownloadLimit = try container.decodeIfPresent(Int64.self, forKey: .maxDownloadLimit)
        settings.maxUploadLimit = try container.decodeIfPresent(Int64.self, forKey: .maxUploadLimit)
        guard !settings.isEmpty else {
            throw TorrusError.invalidInput("Give at least one of maxConcurrentDownloads, maxDownloadLimit, maxUploadLimit.")
        }
    }
}
