import Foundation
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import Torrus

/// The OpenAPI document (`Sources/Torrus/API/openapi.json`) against the server: served as built,
/// and naming exactly the routes the router has, so a route added without documenting it (or a
/// documented one removed) fails here. Responses themselves are checked against it by
/// `Tests/Support/contract.py` (`scripts/test.sh`).
@Suite struct OpenAPIDocumentTests {
    let api: APITests
    var logs: CapturedLogs { api.logs }

    /// Documented but not routed: none now. (A route documented ahead of the code that serves it
    /// goes here until it is routed; the test says when to take it out.)
    static let pending: Set<String> = []

    init() throws { api = try APITests() }

    func router() throws -> Router<TorrusRequestContext> {
        try api.router(readiness: Readiness { Readiness.Report(ready: true) })
    }

    static func document() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(PackageResources.openapi_json))
        return try #require(object as? [String: Any])
    }

    /// `METHOD /path` of every documented operation, path parameters as `{}`.
    static func documented() throws -> Set<String> {
        let paths = try #require(try document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where methods.contains(method) {
                operations.insert("\(method.uppercased()) \(normalized(path))")
            }
        }
        return operations
    }

    /// `{id}` and `:id` both as `{}`.
    static func normalized(_ path: String) -> String {
        "/"
            + path.split(separator: "/").map { component in
                component.hasPrefix(":") || component.hasPrefix("{") ? "{}" : String(component)
            }.joined(separator: "/")
    }

    @Test func isOpenAPI31() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        #expect((document["info"] as? [String: Any])?["version"] as? String == "1")
    }

    @Test func servedIsTheEmbeddedDocumentWithoutAToken() async throws {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/Torrus/API/openapi.json")
        let onDisk = try Data(contentsOf: source.standardized)
        #expect(onDisk == Data(PackageResources.openapi_json), "the embedded document is not the source file")
        try await Application(router: try router(), logger: logs.logger()).test(.router) { client in
            let response = try await client.execute(uri: "/v1/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Array(response.body.readableBytesView) == PackageResources.openapi_json)
            let head = try await client.execute(uri: "/v1/openapi.json", method: .head)
            #expect(head.status == .ok)
            #expect(head.headers[.contentLength] == String(PackageResources.openapi_json.count))
        }
    }

    @Test func documentsExactlyTheRoutedOperations() throws {
        let routed = Set(
            try router().routes.filter { $0.method != .head }.map { "\($0.method.rawValue) \(Self.normalized($0.path.description))" }
        )
        let documented = try Self.documented()
        #expect(routed.subtracting(documented).isEmpty, "routed but not documented: \(routed.subtracting(documented).sorted())")
        let missing = documented.subtracting(routed).subtracting(Self.pending)
        #expect(missing.isEmpty, "documented but not routed: \(missing.sorted())")
        let nowRouted = Self.pending.intersection(routed)
        #expect(nowRouted.isEmpty, "routed now, take them out of OpenAPIDocumentTests.pending: \(nowRouted.sorted())")
    }

    /// What `OPTIONS` says (the route table behind `Allow` and 405) agrees with the document.
    @Test func allowHeadersMatchTheDocument() async throws {
        let documented = try Self.documented().subtracting(Self.pending)
        let paths = Array(try #require(try Self.document()["paths"] as? [String: Any]).keys)
        let order = ["GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"]
        try await Application(router: try router(), logger: logs.logger()).test(.router) { client in
            for path in paths {
                let methods = Set(documented.filter { $0.hasSuffix(" \(Self.normalized(path))") }.map { String($0.prefix { $0 != " " }) })
                guard !methods.isEmpty else { continue }
                let concrete = path.replacingOccurrences(of: #"\{[^}]+\}"#, with: "x", options: .regularExpression)
                let response = try await client.execute(uri: concrete, method: .options)
                #expect(response.status == .noContent, "OPTIONS \(path)")
                let allow = Set((response.headers[.allow] ?? "").split(separator: ", ").map(String.init))
                let expected = methods.union(methods.contains("GET") ? ["HEAD"] : []).union(["OPTIONS"])
                #expect(allow == expected, "Allow of \(path): \(order.filter(allow.contains))")
            }
        }
    }
}
