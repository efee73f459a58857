import Foundation
import Hummingbird

/// JSON responses with explicit status and headers.
enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        let data = try JSONCoding.encoder().encode(value)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A download's v1 JSON (`DownloadJSON`).
    static func download(_ download: Download, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        bytes(DownloadJSON.encode(download), status: status, headers: headers)
    }

    /// JSON already encoded.
    static func bytes(_ json: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: json)))
    }
}
