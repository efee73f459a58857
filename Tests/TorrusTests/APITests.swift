import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import Testing

@testable import Torrus

/// Every status code of the v1 API, through the application as `buildApplication` wires it
/// (router, middleware, change feed, reconciler), with a recording downloader and the in-memory
/// store.
@Suite struct APITests {
    static let token = "test-token-9f2c"
    let repo: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
    let downloader = RecordingDownloader()
    let logs = CapturedLogs()
    let root: TemporaryDirectory

    init() throws {
        root = try TemporaryDirectory()
    }

    /// The application as torrusd builds it, with the in-memory store and the recording downloader.
    func app() throws -> TorrusApplication {
        let configuration = try TorrusConfiguration(environment: [
            "TORRUS_API_TOKEN": Self.token, "TORRUS_DATA_DIR": root.path, "TORRUS_DOWNLOAD_ROOTS": root.path,
        ])
        return try buildApplication(configuration, logger: logs.logger(), store: repo, downloader: downloader.reporting(to:))
    }

    /// The router alone, as `buildApplication` builds it, with the given readiness check.
    func router(readiness: Readiness) throws -> Router<TorrusRequestContext> {
        let roots = try DownloadRoots([root.path])
        return buildRouter(
            service: DownloadService(repo: repo, downloader: downloader, roots: roots),
            categories: CategoryService(repo: repo, store: repo, roots: roots),
            streams: EventStreams(feed: ChangeFeed(), log: repo, logger: logs.logger()),
            webhooks: WebhookService(
                deliveries: WebhookDeliveries(
                    store: repo,
                    feed: ChangeFeed(),
                    sender: CurlHTTPClient(),
                    policy: WebhookPolicy(),
                    configured: [],
                    logger: logs.logger()
                )
            ),
            settings: SettingsService(store: repo, downloader: downloader),
            apiToken: Self.token,
            readiness: readiness,
            metrics: PrometheusCollectorRegistry()
        )
    }

    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]

    static func expectProblem(
        _ response: TestResponse,
        _ status: HTTPResponse.Status,
        detail: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let body = try API.json(response.body)
        #expect(body["status"] as? Int == status.code, sourceLocation: sourceLocation)
        #expect(body["title"] as? String == status.reasonPhrase, sourceLocation: sourceLocation)
        #expect((body["type"] as? String)?.hasPrefix("urn:torrus:problem:") == true, sourceLocation: sourceLocation)
        let text = try #require(body["detail"] as? String, sourceLocation: sourceLocation)
        if let detail { #expect(text.contains(detail), "detail: \(text)", sourceLocation: sourceLocation) }
    }

    private func post(_ client: some TestClientProtocol, _ body: String, headers: HTTPFields = auth) async throws -> TestResponse {
        try await client.execute(uri: "/v1/downloads", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    // MARK: probes

    @Test func probesNeedNoToken() async throws {
        try await app().test(.router) { client in
            do {
                let response = try await client.execute(uri: "/healthz", method: .get)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
            do {
                let response = try await client.execute(uri: "/readyz", method: .get)
                #expect(response.status == .ok)
                #expect(try API.json(response.body)["ready"] as? Bool == true)
            }
            do {
                let response = try await client.execute(uri: "/metrics", method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            }
        }
    }

    /// The probe's answer when the readiness check fails (what fails it is the application's business).
    @Test func readyzIs503WithAReasonWhenNotReady() async throws {
        let router = try router(readiness: Readiness { Readiness.Report(ready: false, error: "The download store is not available.") })
        try await Application(router: router, logger: logs.logger()).test(.router) { client in
            do {
                let response = try await client.execute(uri: "/readyz", method: .get)
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType] == "application/json")
                let body = try API.json(response.body)
                #expect(body["ready"] as? Bool == false)
                #expect(body["error"] as? String == "The download store is not available.")
            }
        }
    }

    // MARK: auth

    @Test func missingTokenIs401WithAChallenge() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/downloads", method: .get)
            try Self.expectProblem(response, .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
        }
    }

    @Test(arguments: ["Bearer wrong", "Bearer \(token)x", "Basic dXNlcjpwYXNz", "Bearer", "bearer  "])
    func wrongCredentialsAre401(_ authorization: String) async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/downloads", method: .get, headers: [.authorization: authorization])
            try Self.expectProblem(response, .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
        }
    }

    @Test func theSchemeIsCaseInsensitive() async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: "/v1/downloads", method: .get, headers: [.authorization: "bearer \(Self.token)"])
            #expect(response.status == .ok)
        }
    }

    // MARK: create

    @Test func createIs201WithLocationThen200WithTheSameDownload() async throws {
        try await app().test(.router) { client in
            let first = try await post(client, #"{"source":"http://127.0.0.1:8080/a.iso"}"#)
            #expect(first.status == .created)
            let created = try API.json(first.body)
            let id = try #require(created["id"] as? String)
            #expect(first.headers[.location] == "/v1/downloads/\(id)")
            #expect(created["status"] as? String == "Queued")
            #expect(created["desiredStatus"] as? String == "Queued")
            #expect(created["targetPath"] as? String == root.path)

            // Same source, explicit default path, surrounding blanks: the same fingerprint.
            let second = try await post(client, #"{"source":"  http://127.0.0.1:8080/a.iso ","targetPath":"\#(root.path)/"}"#)
            #expect(second.status == .ok)
            #expect(try API.json(second.body)["id"] as? String == id)
            #expect(downloader.calls.count == 1)
        }
    }

    @Test func fiftyConcurrentIdenticalPostsMakeOneDownload() async throws {
        try await app().test(.router) { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await post(client, #"{"source":"http://127.0.0.1:8080/same.iso","desiredStatus":"Active"}"#).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .ok }.count == 49)
            #expect(try await repo.list().count == 1)
            #expect(downloader.calls.count == 1)
        }
    }

    @Test func theDownloadJSONHasTheV1Shape() async throws {
        try await app().test(.router) { client in
            let body = try API.json(try await post(client, #"{"source":"http://127.0.0.1:8080/a.iso","desiredStatus":"Paused"}"#).body)
            let keys = Set(body.keys)
            #expect(
                keys == [
                    "id", "gid", "source", "mirrors", "targetPath", "name", "files", "status", "desiredStatus", "createdAt", "updatedAt",
                    "progress", "options", "category", "tags", "completedAt", "infoHash", "seeding", "upload",
                ]
            )
            #expect(body["completedAt"] is NSNull && body["infoHash"] is NSNull && body["seeding"] as? Bool == false)
            #expect(body["options"] as? [String: Any] != nil && (body["options"] as? [String: Any])?.isEmpty == true, "only what was set")
            #expect(body["category"] is NSNull && body["tags"] as? [String] == [] && body["mirrors"] as? [String] == [])
            // The name the URI suggests, at once; the downloader's own report replaces it.
            #expect(body["name"] as? String == "a.iso")
            #expect((body["gid"] as? String)?.count == 16)
            #expect(UUID(uuidString: body["id"] as? String ?? "") != nil)
            let progress = try #require(body["progress"] as? [String: Any])
            #expect(
                Set(progress.keys) == [
                    "completedLength", "connections", "downloadSpeed", "eta", "numSeeders", "percent", "ratio", "totalLength",
                    "uploadSpeed", "uploadedLength",
                ]
            )
            let createdAt = try #require(body["createdAt"] as? String)
            #expect(try Date(createdAt, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) <= Date())
            #expect(body["status"] as? String == "Paused")
        }
    }

    @Test func aFailedDownloadShowsItsError() async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1:8080/a.iso"}"#).body)["id"] as? String)
            let gid = try #require(try await repo.get(UUID(uuidString: id)!)?.gid)
            try downloader.report(.failed(DownloadFailure(code: 3, message: "Resource not found")), gid: gid)
            var body: [String: Any] = [:]
            try await eventually("the failure reported") {
                body = try API.json(try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: Self.auth).body)
                return body["status"] as? String == "Failed"
            }
            let error = try #require(body["error"] as? [String: Any])
            #expect(error["code"] as? Int == 3)
            #expect(error["message"] as? String == "Resource not found")
        }
    }

    @Test(arguments: [
        (#"{"source":"file:///etc/passwd"}"#, "source"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"/etc"}"#, "targetPath"),
        (#"{"source":"http://127.0.0.1/a","targetPath":"relative/dir"}"#, "absolute"),
        (#"{"source":"http://127.0.0.1/a","desiredStatus":"Cancelled"}"#, "desiredStatus"),
        (#"{"source":"http://127.0.0.1/a","desiredStatus":"Running"}"#, "desiredStatus"),
        (#"{"source":"magnet:?xt=urn:btih:123"}"#, "btih"),
        (#"{"source":"http://127.0.0.1/a","status":"Complete"}"#, "read-only"),
        (#"{"source":"http://127.0.0.1/a","id":"x"}"#, "read-only"),
        (#"{"source":"http://127.0.0.1/a","color":"red"}"#, "Unknown field 'color'"),
        (#"{"source":1}"#, "'source' must be a string"),
        (#"{"source":"http://127.0.0.1/a","targetPath":false}"#, "'targetPath' must be a string"),
        (#"{"targetPath":"/tmp"}"#, "'source' is required"),
        (#"{"source":"http://127.0.0.1/a""#, "not valid JSON"),
        (#"["http://127.0.0.1/a"]"#, "JSON object"),
        ("", "required"),
    ])
    func badCreateBodiesAre400(_ body: String, _ detail: String) async throws {
        try await app().test(.router) { client in
            try Self.expectProblem(try await post(client, body), .badRequest, detail: detail)
        }
        #expect(try await repo.list().isEmpty)
    }

    @Test(arguments: [nil, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1"])
    func aBodyThatIsNotJSONIs415(_ contentType: String?) async throws {
        var fields: HTTPFields = [.authorization: "Bearer \(Self.token)"]
        if let contentType { fields[.contentType] = contentType }
        let headers = fields
        try await app().test(.router) { client in
            try Self.expectProblem(try await post(client, #"{"source":"http://127.0.0.1/a"}"#, headers: headers), .unsupportedMediaType)
        }
    }

    @Test func jsonWithACharsetParameterIsAccepted() async throws {
        var fields = Self.auth
        fields[.contentType] = "application/json; charset=utf-8"
        let headers = fields
        try await app().test(.router) { client in
            let response = try await post(client, #"{"source":"http://127.0.0.1/a"}"#, headers: headers)
            #expect(response.status == .created)
        }
    }

    /// 1 MiB for every JSON body but a create's, which may carry a 10 MiB torrent as base64.
    @Test func aBodyOverItsLimitIs413() async throws {
        let big = #"{"source":"http://127.0.0.1/\#(String(repeating: "a", count: DownloadsController.createLimit))"}"#
        let patch = #"{"tags":["\#(String(repeating: "a", count: 1 << 20))"]}"#
        try await app().test(.router) { client in
            try Self.expectProblem(try await post(client, big), .contentTooLarge)
            let response = try await client.execute(
                uri: "/v1/downloads/\(UUID().lowercasedString)",
                method: .patch,
                headers: Self.auth,
                body: ByteBuffer(string: patch)
            )
            try Self.expectProblem(response, .contentTooLarge)
        }
    }

    @Test func aBodyJustUnder1MiBIsReadAndValidated() async throws {
        let padding = String(repeating: " ", count: (1 << 20) - 64)
        try await app().test(.router) { client in
            // Accepted by the size rule, rejected by validation: proves the limit is not lower than 1 MiB.
            try Self.expectProblem(try await post(client, #"{"source":"file:///x"\#(padding)}"#), .badRequest, detail: "source")
        }
    }

    @Test func aDownloaderFailureIs502AndTheDownloadIsKept() async throws {
        downloader.fail(with: .downloaderUnavailable("The downloader could not be reached: connection refused"))
        try await app().test(.router) { client in
            try Self.expectProblem(try await post(client, #"{"source":"http://127.0.0.1/a"}"#), .badGateway, detail: "could not be reached")
        }
        #expect(try await repo.list().count == 1)
    }

    // MARK: read

    @Test func listIsInCreationOrder() async throws {
        try await app().test(.router) { client in
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/\#(index)"}"#).body)["id"] as? String))
            }
            let response = try await client.execute(uri: "/v1/downloads", method: .get, headers: Self.auth)
            #expect(response.status == .ok)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [[String: Any]])
            let ordered = try await repo.list().map(\.id.lowercasedString)
            #expect(list.compactMap { $0["id"] as? String } == ordered)
            #expect(Set(ordered) == Set(ids))
        }
    }

    @Test func getIs200Or404() async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/a"}"#).body)["id"] as? String)
            #expect(try await client.execute(uri: "/v1/downloads/\(id)", method: .get, headers: Self.auth).status == .ok)
            #expect(try await client.execute(uri: "/v1/downloads/\(id.uppercased())", method: .get, headers: Self.auth).status == .ok)
            try Self.expectProblem(try await client.execute(uri: "/v1/downloads/\(UUID())", method: .get, headers: Self.auth), .notFound)
            try Self.expectProblem(
                try await client.execute(uri: "/v1/downloads/not-a-uuid", method: .get, headers: Self.auth),
                .notFound,
                detail: "UUID"
            )
        }
    }

    @Test func unknownRoutesAre404ProblemsAndWrongMethods405() async throws {
        try await app().test(.router) { client in
            try Self.expectProblem(try await client.execute(uri: "/v2/downloads", method: .get, headers: Self.auth), .notFound)
            let put = try await client.execute(uri: "/v1/downloads", method: .put, headers: Self.auth)
            try Self.expectProblem(put, .methodNotAllowed)
            #expect(put.headers[.allow] == "GET, HEAD, POST, OPTIONS")
            let post = try await client.execute(uri: "/v1/downloads/\(UUID())", method: .post, headers: Self.auth)
            try Self.expectProblem(post, .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD, PATCH, DELETE, OPTIONS")
        }
    }

    // MARK: patch

    private func patch(_ client: some TestClientProtocol, _ id: String, _ body: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/downloads/\(id)", method: .patch, headers: Self.auth, body: ByteBuffer(string: body))
    }

    @Test func patchFollowsTheTransitionTable() async throws {
        try await app().test(.router) { client in
            let id = try #require(
                try API.json(try await post(client, #"{"source":"http://127.0.0.1/a","desiredStatus":"Active"}"#).body)["id"] as? String
            )

            let paused = try await patch(client, id, #"{"desiredStatus":"Paused"}"#)
            #expect(paused.status == .ok)
            #expect(try API.json(paused.body)["status"] as? String == "Paused")
            #expect(try await patch(client, id, #"{"desiredStatus":"Paused"}"#).status == .ok)

            let resumed = try await patch(client, id, #"{"desiredStatus":"Resume"}"#)
            #expect(try API.json(resumed.body)["desiredStatus"] as? String == "Active")
            #expect(try API.json(resumed.body)["status"] as? String == "Queued")

            try downloader.report(.completed, gid: try #require(try await repo.get(UUID(uuidString: id)!)?.gid))
            try await eventually("the completion reported") { try await repo.get(UUID(uuidString: id)!)?.status == .complete }
            try Self.expectProblem(try await patch(client, id, #"{"desiredStatus":"Paused"}"#), .conflict, detail: "Complete")
            #expect(downloader.calls.count == 3)
        }
    }

    @Test(arguments: [
        (#"{"desiredStatus":"Queued"}"#, "desiredStatus must be one of"),
        (#"{"desiredStatus":"paused"}"#, "desiredStatus must be one of"),
        (#"{"desiredStatus":7}"#, "must be a string"),
        (#"{}"#, "at least one of desiredStatus"),
        (#"{"desiredStatus":"Paused","source":"http://127.0.0.1/b"}"#, "cannot be changed"),
        (#"{"desiredStatus":"Paused","gid":"0123456789abcdef"}"#, "read-only"),
    ])
    func badPatchBodiesAre400(_ body: String, _ detail: String) async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/a"}"#).body)["id"] as? String)
            try Self.expectProblem(try await patch(client, id, body), .badRequest, detail: detail)
        }
    }

    @Test func patchOfAnUnknownDownloadIs404() async throws {
        try await app().test(.router) { client in
            try Self.expectProblem(try await patch(client, UUID().uuidString, #"{"desiredStatus":"Paused"}"#), .notFound)
        }
    }

    // MARK: delete

    @Test func deleteIs204Then404() async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/a"}"#).body)["id"] as? String)
            let deleted = try await client.execute(uri: "/v1/downloads/\(id)", method: .delete, headers: [.authorization: "Bearer \(Self.token)"])
            #expect(deleted.status == .noContent)
            #expect(
                downloader.calls.last
                    == .purge(
                        try await repo.list().first?.gid ?? downloader.calls.compactMap { if case .start(let gid) = $0 { gid } else { nil } }.first!,
                        deleteFiles: false
                    )
            )
            try Self.expectProblem(try await client.execute(uri: "/v1/downloads/\(id)", method: .delete, headers: Self.auth), .notFound)
        }
    }

    @Test func deleteWithFilesPassesTheFlag() async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/a"}"#).body)["id"] as? String)
            let gid = try await repo.get(UUID(uuidString: id)!)?.gid
            let deleted = try await client.execute(
                uri: "/v1/downloads/\(id)",
                method: .delete,
                headers: Self.auth,
                body: ByteBuffer(string: #"{"deleteFiles":true}"#)
            )
            #expect(deleted.status == .noContent)
            #expect(downloader.calls.last == .purge(gid, deleteFiles: true))
        }
    }

    @Test func badDeleteBodiesAre400Or415() async throws {
        try await app().test(.router) { client in
            let id = try #require(try API.json(try await post(client, #"{"source":"http://127.0.0.1/a"}"#).body)["id"] as? String)
            let uri = "/v1/downloads/\(id)"
            try Self.expectProblem(
                try await client.execute(uri: uri, method: .delete, headers: Self.auth, body: ByteBuffer(string: #"{"deleteFiles":"yes"}"#)),
                .badRequest,
                detail: "boolean"
            )
            try Self.expectProblem(
                try await client.execute(uri: uri, method: .delete, headers: Self.auth, body: ByteBuffer(string: #"{"force":true}"#)),
                .badRequest,
                detail: "Unknown field"
            )
            try Self.expectProblem(
                try await client.execute(
                    uri: uri,
                    method: .delete,
                    headers: [.authorization: "Bearer \(Self.token)", .contentType: "text/plain"],
                    body: ByteBuffer(string: "deleteFiles")
                ),
                .unsupportedMediaType
            )
            #expect(try await repo.list().count == 1)
        }
    }

    // MARK: request id and access log

    @Test func aRequestIDIsEchoedOrGenerated() async throws {
        try await app().test(.router) { client in
            let echoed = try await client.execute(uri: "/healthz", method: .get, headers: [RequestIDMiddleware.header: "abc-123"])
            #expect(echoed.headers[RequestIDMiddleware.header] == "abc-123")
            let generated = try await client.execute(uri: "/healthz", method: .get)
            #expect(UUID(uuidString: generated.headers[RequestIDMiddleware.header] ?? "") != nil)
            let hostile = try await client.execute(uri: "/healthz", method: .get, headers: [RequestIDMiddleware.header: "a b\tc"])
            #expect(hostile.headers[RequestIDMiddleware.header] != "a b\tc")
            let problem = try await client.execute(uri: "/v1/downloads", method: .get, headers: [RequestIDMiddleware.header: "req-401"])
            #expect(try API.json(problem.body)["requestId"] as? String == "req-401")
        }
    }

    @Test func oneAccessLogLinePerRequestWithTheRequestIDAndNeverTheToken() async throws {
        try await app().test(.router) { client in
            var headers = Self.auth
            headers[RequestIDMiddleware.header] = "req-create-1"
            let fields = headers
            _ = try await post(client, #"{"source":"http://127.0.0.1/a"}"#, headers: fields)
            _ = try await client.execute(uri: "/v1/downloads?token=\(Self.token)", method: .get, headers: [.authorization: "Bearer nope"])
        }
        let lines = logs.all
        let access = lines.filter { $0.contains(" request ") }
        #expect(access.count == 2)
        let create = try #require(access.first)
        for field in ["method=POST", "path=/v1/downloads", "status=201", "duration_ms=", "bytes=", "request_id=req-create-1"] {
            #expect(create.contains(field), "\(create)")
        }
        #expect(access.last?.contains("status=401") == true)
        // What the request started logs the request id too.
        #expect(lines.contains { $0.contains("Download created") && $0.contains("request_id=req-create-1") })
        #expect(!lines.contains { $0.contains(Self.token) || $0.contains("nope") })
    }
}
