import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `/v1/categories`: counts, and a category's default target directory used by creates that
/// name none.
@Suite struct CategoriesAPITests {
    let api: APITests

    init() throws { api = try APITests() }

    func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: APITests.auth, body: body.map { ByteBuffer(string: $0) })
    }

    @Test func aDefaultTargetPathIsWhereACategorysDownloadsGo() async throws {
        try await api.app().test(.router) { client in
            let tv = api.root.path + "/tv"
            let put = try await call(client, .put, "/v1/categories/TV%20shows", #"{"targetPath":"\#(tv)/"}"#)
            #expect(put.status == .ok, "\(String(buffer: put.body))")
            #expect(String(buffer: put.body) == #"{"count":0,"name":"TV shows","targetPath":"\#(tv)"}"#)
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: tv, isDirectory: &isDirectory) && isDirectory.boolValue, "made as a create makes it")

            let inCategory = try API.json(
                try await call(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/a","category":"TV shows"}"#).body
            )
            #expect(inCategory["targetPath"] as? String == tv)
            let explicit = api.root.path + "/other"
            let chosen = try API.json(
                try await call(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/b","category":"TV shows","targetPath":"\#(explicit)"}"#)
                    .body
            )
            #expect(chosen["targetPath"] as? String == explicit, "a targetPath given wins")
            let plain = try API.json(try await call(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/c","category":"iso"}"#).body)
            #expect(plain["targetPath"] as? String == api.root.path)

            let list = try await call(client, .get, "/v1/categories")
            #expect(
                String(buffer: list.body) == #"[{"count":2,"name":"TV shows","targetPath":"\#(tv)"},{"count":1,"name":"iso","targetPath":null}]"#
            )
            let one = try await call(client, .get, "/v1/categories/iso")
            #expect(one.status == .ok && String(buffer: one.body) == #"{"count":1,"name":"iso","targetPath":null}"#)

            #expect(try await call(client, .delete, "/v1/categories/TV%20shows").status == .noContent)
            #expect(try await call(client, .delete, "/v1/categories/TV%20shows").status == .notFound)
            let after = try API.json(try await call(client, .post, "/v1/downloads", #"{"source":"http://127.0.0.1/d","category":"TV shows"}"#).body)
            #expect(after["targetPath"] as? String == api.root.path)
        }
    }

    @Test func badCategoryRequestsAreClear() async throws {
        try await api.app().test(.router) { client in
            let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status, String)] = [
                (.put, "/v1/categories/x", #"{"targetPath":"/etc"}"#, .badRequest, "not inside a download root"),
                (.put, "/v1/categories/x", #"{"targetPath":"relative"}"#, .badRequest, "absolute"),
                (.put, "/v1/categories/x", #"{}"#, .badRequest, "targetPath"),
                (.put, "/v1/categories/x", #"{"targetPath":"\#(api.root.path)","count":3}"#, .badRequest, "Unknown field"),
                (.put, "/v1/categories/a%0Ab", #"{"targetPath":"\#(api.root.path)"}"#, .badRequest, "control"),
                (.put, "/v1/categories/%zz", #"{"targetPath":"\#(api.root.path)"}"#, .badRequest, "percent-encoding"),
                (.get, "/v1/categories/nobody", nil, .notFound, "No download carries"),
                (.delete, "/v1/categories/nobody", nil, .notFound, "no default"),
                (.post, "/v1/categories/x", nil, .methodNotAllowed, "allowed: GET, HEAD, PUT, DELETE"),
            ]
            for (method, uri, body, status, detail) in cases {
                let response = try await call(client, method, uri, body)
                #expect(response.status == status, "\(method) \(uri): \(String(buffer: response.body))")
                #expect(String(buffer: response.body).contains(detail), "\(method) \(uri): \(String(buffer: response.body))")
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func bothStoresKeepDefaults(_ kind: StoreKind) async throws {
        let (repo, cleanup) = try kind.make()
        defer { cleanup() }
        #expect(try await repo.setCategoryPath("a", to: "/x") == false)
        #expect(try await repo.setCategoryPath("a", to: "/y") == true)
        try await repo.setCategoryPath("b", to: "/z")
        #expect(try await repo.categoryPaths() == ["a": "/y", "b": "/z"])
        #expect(try await repo.setCategoryPath("a", to: nil) == true)
        #expect(try await repo.setCategoryPath("a", to: nil) == false)
        #expect(try await repo.categoryPaths() == ["b": "/z"])
    }
}
