import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `/v1/webhooks` through the application as torrusd builds it (in-memory store, recording
/// downloader): every status code, the secret shown once, and targets from `TORRUS_WEBHOOKS`.
@Suite struct WebhookAPITests {
    static let token = APITests.token
    static let auth = APITests.auth
    let configuredSecret = WebhookSecret.generate().text
    let repo: any DownloadStore = InMemoryDownloadRepo(encoding: .v1JSON)
    let logs = CapturedLogs()
    let root: TemporaryDirectory

    init() throws {
        root = try TemporaryDirectory()
    }

    func app(webhooks: String? = nil) throws -> TorrusApplication {
        var environment = [
            "TORRUS_API_TOKEN": Self.token, "TORRUS_DATA_DIR": root.path, "TORRUS_DOWNLOAD_ROOTS": root.path,
            "TORRUS_WEBHOOK_TIMEOUT_MS": "2000",
        ]
        environment["TORRUS_WEBHOOKS"] = webhooks
        let configuration = try TorrusConfiguration(environment: environment)
        return try buildApplication(configuration, logger: logs.logger(), store: repo, downloader: RecordingDownloader().reporting(to:))
    }

    func send(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: method, headers: Self.auth, body: body.map { ByteBuffer(string: $0) })
    }

    @Test func aTargetIsCreatedWithItsSecretShownOnce() async throws {
        try await app().test(.router) { client in
            let created = try await send(client, .post, "/v1/webhooks", #"{"url":"http://127.0.0.1:1/hook"}"#)
            #expect(created.status == .created)
            #expect(created.headers[.cacheControl] == "no-store")
            let body = try API.json(created.body)
            let id = try #require(body["id"] as? String)
            #expect(created.headers[.location] == "/v1/webhooks/\(id)")
            let secret = try #require(body["secret"] as? String)
            #expect(WebhookSecret(text: secret) != nil)
            #expect(body["types"] as? [String] == Webhook.defaultTypes.map(\.rawValue).sorted())
            #expect(body["origin"] as? String == "api" && body["paused"] as? Bool == false && body["downloads"] as? [String] == [])
            #expect(body["deliveredThrough"] as? Int == 0)

            let fetched = try await send(client, .get, "/v1/webhooks/\(id)")
            #expect(fetched.status == .ok)
            let fetchedJSON = try API.json(fetched.body)
            #expect(!String(buffer: fetched.body).contains(secret) && fetchedJSON["secret"] == nil)
            let list = try await send(client, .get, "/v1/webhooks")
            #expect(!String(buffer: list.body).contains(secret))
            #expect((try JSONSerialization.jsonObject(with: Data(buffer: list.body)) as? [[String: Any]])?.first?["id"] as? String == id)
            #expect(!logs.all.joined().contains(secret), "never logged")
        }
    }

    @Test(arguments: [
        (#"{"url":"ftp://127.0.0.1/x"}"#, "http or https"),
        (#"{"url":"http://u:p@127.0.0.1/x"}"#, "user or password"),
        (#"{"url":"http://127.0.0.1/x","types":[]}"#, "at least one"),
        (#"{"url":"http://127.0.0.1/x","types":["download.nope"]}"#, "not an event type"),
        (#"{"url":"http://127.0.0.1/x","types":["reset"]}"#, "not an event type"),
        (#"{"url":"http://127.0.0.1/x","downloads":["nope"]}"#, "not a download id"),
        (#"{"url":"http://127.0.0.1/x","secret":"whsec_x"}"#, "Unknown field 'secret'"),
        (#"{"url":5}"#, "url"),
        (#"{}"#, "'url' is required"),
    ])
    func badTargetsAre400(_ body: String, _ detail: String) async throws {
        try await app().test(.router) { client in
            try APITests.expectProblem(try await send(client, .post, "/v1/webhooks", body), .badRequest, detail: detail)
        }
    }

    @Test func aTargetIsPausedResumedChangedAndDeleted() async throws {
        try await app().test(.router) { client in
            let created = try API.json(
                try await send(client, .post, "/v1/webhooks", #"{"url":"http://127.0.0.1:1/a","types":["download.status"]}"#).body
            )
            let id = try #require(created["id"] as? String)
            let paused = try await send(client, .patch, "/v1/webhooks/\(id)", #"{"paused":true}"#)
            #expect(paused.status == .ok)
            #expect(try API.json(paused.body)["pausedReason"] as? String == "Paused through the API.")
            let changed = try API.json(
                try await send(
                    client,
                    .patch,
                    "/v1/webhooks/\(id)",
                    #"{"paused":false,"url":"http://127.0.0.1:2/b","downloads":["\#(UUID().lowercasedString)"]}"#
                ).body
            )
            #expect(changed["paused"] as? Bool == false && changed["pausedReason"] is NSNull)
            #expect(changed["url"] as? String == "http://127.0.0.1:2/b" && changed["types"] as? [String] == ["download.status"])
            #expect((changed["downloads"] as? [String])?.count == 1)
            try APITests.expectProblem(try await send(client, .patch, "/v1/webhooks/\(id)", #"{"url":"gopher://x"}"#), .badRequest)
            try APITests.expectProblem(try await send(client, .patch, "/v1/webhooks/\(id)", #"{"secret":"x"}"#), .badRequest)
            try APITests.expectProblem(try await send(client, .get, "/v1/webhooks/\(id)/deliveries?limit=0"), .badRequest)
            #expect(try await send(client, .get, "/v1/webhooks/\(id)/deliveries").status == .ok)
            #expect(try await send(client, .delete, "/v1/webhooks/\(id)").status == .noContent)
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1/webhooks/\(id)"), (.delete, "/v1/webhooks/\(id)"), (.get, "/v1/webhooks/\(id)/deliveries"),
                (.post, "/v1/webhooks/\(id)/test"), (.get, "/v1/webhooks/not-an-id"),
            ] {
                try APITests.expectProblem(try await send(client, method, path, method == .patch ? "{}" : nil), .notFound)
            }
            try APITests.expectProblem(try await send(client, .patch, "/v1/webhooks/\(id)", #"{"paused":true}"#), .notFound)
        }
    }

    @Test func theNumberOfTargetsIsCapped() async throws {
        try await app().test(.router) { client in
            for index in 0..<WebhookService.maxTargets {
                #expect(try await send(client, .post, "/v1/webhooks", #"{"url":"http://127.0.0.1:1/\#(index)"}"#).status == .created)
            }
            try APITests.expectProblem(
                try await send(client, .post, "/v1/webhooks", #"{"url":"http://127.0.0.1:1/x"}"#),
                .conflict,
                detail: "as many as allowed"
            )
        }
    }

    @Test func aTestPingToAnUnreachableReceiverSaysWhatWentWrong() async throws {
        try await app().test(.router) { client in
            let created = try API.json(try await send(client, .post, "/v1/webhooks", #"{"url":"http://127.0.0.1:1/hook"}"#).body)
            let id = try #require(created["id"] as? String)
            let ping = try await send(client, .post, "/v1/webhooks/\(id)/test")
            #expect(ping.status == .ok)
            let attempt = try API.json(ping.body)
            #expect(attempt["outcome"] as? String == "failed" && attempt["type"] as? String == "webhook.test")
            #expect((attempt["error"] as? String)?.isEmpty == false && attempt["statusCode"] is NSNull)
            #expect((attempt["messageId"] as? String)?.hasPrefix("test_") == true)
            let list = try JSONSerialization.jsonObject(with: Data(buffer: try await send(client, .get, "/v1/webhooks/\(id)/deliveries").body))
            #expect((list as? [[String: Any]])?.first?["messageId"] as? String == attempt["messageId"] as? String)
        }
    }

    @Test func targetsFromTheEnvironmentAreChangedOnlyThere() async throws {
        let url = "http://127.0.0.1:1/configured"
        try await app(webhooks: #"[{"url":"\#(url)","secret":"\#(configuredSecret)","types":["download.created"]}]"#).test(.router) { client in
            var listed: [[String: Any]] = []
            try await eventually("the configured target") {
                listed =
                    try JSONSerialization.jsonObject(with: Data(buffer: try await send(client, .get, "/v1/webhooks").body)) as? [[String: Any]] ?? []
                return !listed.isEmpty
            }
            #expect(listed.first?["origin"] as? String == "environment" && listed.first?["url"] as? String == url)
            #expect(listed.first?["types"] as? [String] == ["download.created"])
            let id = try #require(listed.first?["id"] as? String)
            try APITests.expectProblem(
                try await send(client, .patch, "/v1/webhooks/\(id)", #"{"url":"http://127.0.0.1:2/x"}"#),
                .conflict,
                detail: "TORRUS_WEBHOOKS"
            )
            try APITests.expectProblem(try await send(client, .delete, "/v1/webhooks/\(id)"), .conflict)
            #expect(try await send(client, .patch, "/v1/webhooks/\(id)", #"{"paused":true}"#).status == .ok)
            #expect(!logs.all.joined().contains(configuredSecret))
        }
    }
}
