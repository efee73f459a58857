import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The bench's client for Torrus's REST API: plain http://127.0.0.1 over URLSession (libcurl
/// underneath on Linux, keep-alive), bearer token on `/v1`. It is used between measurements,
/// never inside a sampling window, so its own cost does not show up in the CPU figure.
final class BenchHTTPClient: Sendable {
    /// The fields of a download the bench reads; the API sends more.
    struct Download: Decodable, Sendable {
        let id: String
        let gid: String?
        let status: String
    }

    struct Readiness: Decodable, Sendable {
        struct Aria2: Decodable, Sendable {
            let pushConnected: Bool
        }

        let ready: Bool
        let error: String?
        let aria2: Aria2?
    }

    private let base: String
    private let token: String
    private let session: URLSession

    init(port: Int, token: String) {
        base = "http://127.0.0.1:\(port)"
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 30
        configuration.httpMaximumConnectionsPerHost = 8
        session = URLSession(configuration: configuration)
    }

    func shutdown() {
        session.invalidateAndCancel()
    }

    // MARK: API

    /// POST /v1/downloads; expects 201 (a new download).
    func create(source: String, desiredStatus: String? = nil) async throws -> Download {
        var fields = ["source": source]
        if let desiredStatus { fields["desiredStatus"] = desiredStatus }
        let body = try JSONSerialization.data(withJSONObject: fields)
        let (status, _, data) = try await send("POST", "/v1/downloads", json: body)
        guard status == 201 else { throw BenchError.http("POST /v1/downloads answered \(status): \(Self.text(data))") }
        return try decode(Download.self, data, "POST /v1/downloads")
    }

    func download(_ id: String) async throws -> Download {
        let (status, _, data) = try await send("GET", "/v1/downloads/\(id)")
        guard status == 200 else { throw BenchError.http("GET /v1/downloads/\(id) answered \(status): \(Self.text(data))") }
        return try decode(Download.self, data, "GET /v1/downloads/\(id)")
    }

    func list() async throws -> [Download] {
        let (status, _, data) = try await send("GET", "/v1/downloads")
        guard status == 200 else { throw BenchError.http("GET /v1/downloads answered \(status): \(Self.text(data))") }
        return try decode([Download].self, data, "GET /v1/downloads")
    }

    /// The size of the unpaged list, in bytes.
    func listBytes() async throws -> Int {
        let (status, _, data) = try await send("GET", "/v1/downloads")
        guard status == 200 else { throw BenchError.http("GET /v1/downloads answered \(status): \(Self.text(data))") }
        return data.count
    }

    /// DELETE /v1/downloads/{id} with its files (the payload written so far and `.aria2` file).
    func delete(_ id: String) async throws {
        let body = try JSONSerialization.data(withJSONObject: ["deleteFiles": true])
        let (status, _, data) = try await send("DELETE", "/v1/downloads/\(id)", json: body)
        guard status == 204 else { throw BenchError.http("DELETE /v1/downloads/\(id) answered \(status): \(Self.text(data))") }
    }

    /// GET /readyz; nil while the server does not answer yet (connection refused).
    func readiness() async -> Readiness? {
        guard let (_, _, data) = try? await send("GET", "/readyz", authorized: false) else { return nil }
        return try? JSONDecoder().decode(Readiness.self, from: data)
    }

    // MARK: plumbing

    /// A webhook target as `GET /v1/webhooks` lists it: how far it is delivered, and the whole item.
    struct WebhookTarget: Sendable {
        let deliveredThrough: Int64
        let json: String
    }

    /// `GET /v1/webhooks`.
    func webhooks() async throws -> [WebhookTarget] {
        let (status, _, data) = try await send("GET", "/v1/webhooks")
        guard status == 200, let items = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw BenchError.http("GET /v1/webhooks answered \(status): \(Self.text(data))")
        }
        return try items.map { item in
            guard let through = (item["deliveredThrough"] as? NSNumber)?.int64Value else {
                throw BenchError.http("GET /v1/webhooks: an item without a numeric deliveredThrough: \(Self.text(data))")
            }
            let json = (try? JSONSerialization.data(withJSONObject: item, options: [.sortedKeys, .withoutEscapingSlashes])).map {
                String(decoding: $0, as: UTF8.self)
            }
            return WebhookTarget(deliveredThrough: through, json: json ?? "")
        }
    }

    /// The `Torrus-Sequence` of `GET /v1/downloads`: the last event the list includes.
    func listSequence() async throws -> Int64? {
        let (status, headers, data) = try await send("GET", "/v1/downloads")
        guard status == 200 else { throw BenchError.http("GET /v1/downloads answered \(status): \(Self.text(data))") }
        return headers.first { $0.key.lowercased() == "torrus-sequence" }.flatMap { Int64($0.value) }
    }

    /// `GET path` (with its query) as it is: status, headers and body.
    func get(_ path: String) async throws -> (status: Int, headers: [String: String], body: Data) {
        try await send("GET", path)
    }

    /// `POST path` with `body` of `contentType`: status and body.
    func post(_ path: String, body: Data, contentType: String) async throws -> (status: Int, body: Data) {
        let (status, _, data) = try await send("POST", path, body: body, contentType: contentType)
        return (status, data)
    }

    private func send(_ method: String, _ path: String, json: Data? = nil, authorized: Bool = true) async throws -> (Int, [String: String], Data) {
        try await send(method, path, body: json, contentType: json == nil ? nil : "application/json", authorized: authorized)
    }

    private func send(
        _ method: String,
        _ path: String,
        body: Data?,
        contentType: String?,
        authorized: Bool = true
    ) async throws -> (Int, [String: String], Data) {
        guard let url = URL(string: base + path) else { throw BenchError.http("bad URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if authorized { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body, let contentType {
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
            request.httpBody = body
        }
        // The completion-handler form rather than `data(for:)`: it is the API that is the same on
        // every corelibs-foundation version.
        return try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: BenchError.http("\(method) \(path): \(error.localizedDescription)"))
                } else if let response = response as? HTTPURLResponse {
                    var headers: [String: String] = [:]
                    for (key, value) in response.allHeaderFields {
                        if let key = key as? String, let value = value as? String { headers[key] = value }
                    }
                    continuation.resume(returning: (response.statusCode, headers, data ?? Data()))
                } else {
                    continuation.resume(throwing: BenchError.http("\(method) \(path): no HTTP response"))
                }
            }.resume()
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw BenchError.http("\(what): cannot read the answer (\(error)): \(Self.text(data))")
        }
    }

    private static func text(_ data: Data) -> String {
        String(decoding: data.prefix(500), as: UTF8.self)
    }
}
