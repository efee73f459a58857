import Foundation
import Hummingbird

/// `/v1/categories`: each category in use or with a default target directory, with its count;
/// `PUT /v1/categories/{name}` sets the default, `DELETE` removes it.
struct CategoriesController {
    let service: CategoryService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("categories", use: list)
        group.get("categories/:name", use: get)
        group.put("categories/:name", use: put)
        group.delete("categories/:name", use: delete)
        table.add(base + "/categories", [.get])
        table.add(base + "/categories/:name", [.get, .put, .delete])
    }

    private struct CategoryJSON: Encodable {
        let name: String
        let count: Int
        let targetPath: String?

        init(_ category: CategoryService.Category) {
            (name, count, targetPath) = (category.name, category.count, category.targetPath)
        }

        private enum Keys: String, CodingKey { case name, count, targetPath }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(count, forKey: .count)
            try container.encode(name, forKey: .name)
            try container.encode(targetPath, forKey: .targetPath)  // null when none: every key always there
        }
    }

    /// `{"targetPath": "..."}`.
    private struct PutRequest: Decodable {
        var targetPath: String

        private enum CodingKeys: String, CodingKey { case targetPath }

        init(from decoder: any Decoder) throws {
            try StrictKeys.check(decoder, allowed: ["targetPath"])
            targetPath = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .targetPath)
        }
    }

    @Sendable func list(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(try await service.list().map(CategoryJSON.init))
    }

    @Sendable func get(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(CategoryJSON(try await service.get(try name(context))))
    }

    @Sendable func put(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let name = try name(context)
        let body = try await JSONBody.decode(PutRequest.self, from: request, context: context)!
        return try JSONResponse.make(CategoryJSON(try await service.setTargetPath(name, body.targetPath)))
    }

    @Sendable func delete(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try await service.removeTargetPath(try name(context))
        return Response(status: .noContent)
    }

    /// The path segment, percent-decoded (a category may hold spaces and any printable character).
    private func name(_ context: TorrusRequestContext) throws -> String {
        guard let name = try context.parameters.require("name").removingPercentEncoding else {
            throw TorrusError.invalidInput("The category name in the path is not valid percent-encoding.")
        }
        return name
    }
}
