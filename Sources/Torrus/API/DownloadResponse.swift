import Foundation
import Hummingbird

/// The v1 JSON shape of a download. Unknown values are explicit nulls (`gid`, `name`), so every
/// download has the same keys; `error` appears only on a Failed download.
struct DownloadResponse: Encodable {
    let download: Download

    private enum CodingKeys: String, CodingKey {
        case id, gid, source, targetPath, name, files, status, desiredStatus, createdAt, updatedAt, progress, error
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(download.id.lowercasedString, forKey: .id)
        try container.encode(download.gid, forKey: .gid)
        try container.encode(download.source, forKey: .source)
        try container.encode(download.targetPath, forKey: .targetPath)
        try container.encode(download.name, forKey: .name)
        try container.encode(download.files, forKey: .files)
        try container.encode(download.status, forKey: .status)
        try container.encode(download.desiredStatus, forKey: .desiredStatus)
        try container.encode(RFC3339.string(download.createdAt), forKey: .createdAt)
        try container.encode(RFC3339.string(download.updatedAt), forKey: .updatedAt)
        try container.encode(download.progress, forKey: .progress)
        if download.status == .failed { try container.encodeIfPresent(download.error, forKey: .error) }
    }
}

/// Timestamps as RFC 3339 in UTC with milliseconds, e.g. `2026-11-27T19:41:10.123Z`.
enum RFC3339 {
    static func string(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

/// JSON responses with explicit status and headers.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let data = try JSONCoding.encoder().encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
