import Foundation
import Hummingbird

/// `GET /v1/stats` (Torrus's counts per status and the downloader's totals) and
/// `GET /v1/categories` (each category in use, with its count).
struct StatsController {
    let service: DownloadService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("stats", use: stats)
        group.get("categories", use: categories)
        table.add(base + "/stats", [.get])
        table.add(base + "/categories", [.get])
    }

    private struct Stats: Encodable {
        /// Every status, zeros included.
        let downloads: [String: Int]
        let total: Int
        let downloader: DownloaderStats?
        let downloaderError: String?

        private enum Keys: String, CodingKey { case downloads, total, downloader, downloaderError }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(downloads, forKey: .downloads)
            try container.encode(total, forKey: .total)
            try container.encode(downloader, forKey: .downloader)
            try container.encode(downloaderError, forKey: .downloaderError)
        }
    }

    private struct Category: Encodable {
        let name: String
        let count: Int
    }

    @Sendable func stats(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let (counts, downloader, error) = try await service.stats()
        let downloads = Dictionary(uniqueKeysWithValues: DownloadStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
        return try JSONResponse.make(
            Stats(downloads: downloads, total: counts.values.reduce(0, +), downloader: downloader, downloaderError: error)
        )
    }

    @Sendable func categories(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let counts = try await service.categories()
        return try JSONResponse.make(counts.sorted { $0.key < $1.key }.map { Category(name: $0.key, count: $0.value) })
    }
}
