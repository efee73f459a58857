import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Calls of the v1 API as the end-to-end tests make them, with the shared test token.
package enum API {
    package static let token = "test-api-token"
    package static let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    /// A JSON object body.
    package static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    package static func create(_ client: some TestClientProtocol, _ body: String) async throws -> String {
        let response = try await client.execute(uri: "/v1/downloads", method: .post, headers: headers, body: ByteBuffer(string: body))
        // The problem's detail says why, when it is not a 201 (a rare 502 at the start of a busy run).
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try #require(try json(response.body)["id"] as? String)
    }

    package static func fetch(_ client: some TestClientProtocol, _ id: String) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: headers)
        #expect(response.status == .ok)
        return try json(response.body)
    }

    package static func patch(_ client: some TestClientProtocol, _ id: String, _ desired: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/downloads/\(id)",
            method: .patch,
            headers: headers,
            body: ByteBuffer(string: #"{"desiredStatus":"\#(desired)"}"#)
        )
    }

    package static func waitForStatus(
        _ client: some TestClientProtocol,
        _ id: String,
        _ status: String,
        timeout: Duration = .seconds(15)
    ) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        try await eventually(timeout: timeout, "status \(status)") {
            last = try await fetch(client, id)
            return last["status"] as? String == status
        }
        return last
    }

    package static func delete(_ client: some TestClientProtocol, _ id: String, deleteFiles: Bool) async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/downloads/\(id)",
            method: .delete,
            headers: headers,
            body: ByteBuffer(string: #"{"deleteFiles":\#(deleteFiles)}"#)
        )
    }

    package static func list(_ client: some TestClientProtocol) async throws -> [[String: Any]] {
        let response = try await client.execute(uri: "/v1/downloads", method: .get, headers: headers)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
    }
}
