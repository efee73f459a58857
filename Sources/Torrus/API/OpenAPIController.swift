import Hummingbird

/// `GET /v1/openapi.json`: the OpenAPI 3.1 document of this API (`API/openapi.json`, embedded in
/// the binary when it is built, so the server always serves the contract it was built with).
/// Open like the probes: it is added to the router itself, not to the `/v1` group behind the
/// bearer token.
struct OpenAPIController {
    static let path = "/v1/openapi.json"
    static let document = ByteBuffer(bytes: PackageResources.openapi_json)

    func addRoutes(to router: Router<TorrusRequestContext>, table: RouteTable) {
        router.get("v1/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: Self.document))
        }
        table.add(Self.path, [.get])
    }
}
