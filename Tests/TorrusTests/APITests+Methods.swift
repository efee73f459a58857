import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import Torrus

/// HTTP method semantics: HEAD wherever GET works, OPTIONS with Allow, 405 with Allow for every
/// other method on a known path, and metrics that count each failure under its real status.
extension APITests {
    @Test(arguments: ["/healthz", "/readyz", "/metrics"])
    func headWorksOnTheProbesWithoutABody(_ path: String) async throws {
        try await app().test(.router) { client in
            let get = try await client.execute(uri: path, method: .get)
            let head = try await client.execute(uri: path, method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentType] == get.headers[.contentType])
            if path != "/metrics" {  // the metrics text changes between the two calls
                #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            }
        }
    }

    @Test func headWorksOnTheAPIBehindTheSameToken() async throws {
        try await app().test(.router) { client in
            let created = try await client.execute(
                uri: "/v1/downloads",
                method: .post,
                headers: Self.auth,
                body: ByteBuffer(string: #"{"source":"http://127.0.0.1/a"}"#)
            )
            let id = try #require(try API.json(created.body)["id"] as? String)
            for uri in ["/v1/downloads", "/v1/downloads/\(id)"] {
                let get = try await client.execute(uri: uri, method: .get, headers: Self.auth)
                let head = try await client.execute(uri: uri, method: .head, headers: Self.auth)
                #expect(head.status == .ok)
                #expect(head.body.readableBytes == 0)
                #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            }
            let unauthorized = try await client.execute(uri: "/v1/downloads", method: .head)
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.body.readableBytes == 0)
            let missing = try await client.execute(uri: "/v1/downloads/\(UUID())", method: .head, headers: Self.auth)
            #expect(missing.status == .notFound)
            #expect(missing.body.readableBytes == 0)
        }
    }

    @Test(arguments: [
        ("/healthz", "GET, HEAD, OPTIONS"), ("/readyz", "GET, HEAD, OPTIONS"), ("/metrics", "GET, HEAD, OPTIONS"),
        ("/v1/downloads", "GET, HEAD, POST, OPTIONS"), ("/v1/downloads/\(UUID())", "GET, HEAD, PATCH, DELETE, OPTIONS"),
    ])
    func optionsAnswersWithAllow(_ path: String, _ allow: String) async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: path, method: .options)
            #expect(response.status == .noContent)
            #expect(response.headers[.allow] == allow)
        }
    }

    @Test(arguments: [
        ("/healthz", HTTPRequest.Method.put), ("/readyz", .trace), ("/metrics", .delete), ("/healthz", HTTPRequest.Method("FOO")!),
        ("/v1/downloads", .trace), ("/v1/downloads", .connect), ("/v1/downloads/\(UUID())", .put),
    ])
    func anyOtherMethodOnAKnownPathIs405WithAllow(_ path: String, _ method: HTTPRequest.Method) async throws {
        try await app().test(.router) { client in
            let response = try await client.execute(uri: path, method: method, headers: Self.auth)
            try Self.expectProblem(response, .methodNotAllowed, detail: "\(method.rawValue) is not supported here")
            #expect(response.headers[.allow]?.hasPrefix("GET, HEAD") == true)
        }
    }

    @Test func anUnknownPathStays404WhateverTheMethod() async throws {
        try await app().test(.router) { client in
            for method in [HTTPRequest.Method.get, .options, .trace, .head] {
                let response = try await client.execute(uri: "/nope", method: method)
                #expect(response.status == .notFound)
            }
        }
    }

    /// Hummingbird's metrics middleware records the status of what is thrown through it; before
    /// the errors were mapped inside it, every 4xx was counted as a 500.
    @Test func metricsCountEachFailureUnderItsRealStatus() async throws {
        let registry = TestMetrics.registry
        try await app().test(.router) { client in
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/v1/downloads/\(UUID())", method: .get, headers: Self.auth)
            }
            _ = try await client.execute(uri: "/v1/downloads", method: .post, headers: Self.auth, body: ByteBuffer(string: "{"))
            _ = try await client.execute(uri: "/readyz", method: .trace)
        }
        let text = TestMetrics.text(registry)
        let route = #"http_route="/v1/downloads/{id}""#
        #expect(TestMetrics.value(text, "hb_requests", [route, #"http_request_method="GET""#, #"http_response_status_code="404""#]) ?? 0 >= 3)
        #expect(TestMetrics.value(text, "hb_requests", [#"http_route="/v1/downloads""#, #"http_response_status_code="400""#]) ?? 0 >= 1)
        #expect(TestMetrics.value(text, "hb_requests", [#"http_request_method="TRACE""#, #"http_response_status_code="405""#]) ?? 0 >= 1)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("hb_requests") && $0.contains(#"status_code="500""#) }, "\(text)")
    }
}
