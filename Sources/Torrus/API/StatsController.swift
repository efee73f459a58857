import Foundation
import Hummingbird

/// `GET /v1/stats`: Torrus's counts per status and the downloader's totals.
struct StatsController {
    let service: DownloadService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("stats", use: stats)
        table.add(base + "/stats", [.get])
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

    @Sendable func stats(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let (counts, downloader, error) = try await service.stats()
        let downloads = Dictionary(uniqueKeysWithValues: DownloadStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
        return try JSONResponse.make(
            Stats(downloads: downloads, total: counts.values.reduce(0, +), downloader: downloader, downloaderError: error)
        )
    }
}
