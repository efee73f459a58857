import Foundation
import Hummingbird

/// The v1 webhook routes: targets (`/v1/webhooks`), their recent attempts, and a test ping.
struct WebhooksController {
    let service: WebhookService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("webhooks", use: list)
        group.post("webhooks", use: create)
        group.get("webhooks/:id", use: get)
        group.patch("webhooks/:id", use: patch)
        group.delete("webhooks/:id", use: delete)
        group.get("webhooks/:id/deliveries", use: deliveries)
        group.post("webhooks/:id/test", use: test)
        table.add(base + "/webhooks", [.get, .post])
        table.add(base + "/webhooks/:id", [.get, .patch, .delete])
        table.add(base + "/webhooks/:id/deliveries", [.get])
        table.add(base + "/webhooks/:id/test", [.post])
    }

    /// 201 with `Location` and the secret, which no later answer shows.
    @Sendable func create(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateWebhookRequest.self, from: request, context: context)!
        let webhook = try await service.create(url: body.url, types: body.types, downloads: body.downloads)
        return try JSONResponse.make(
            WebhookJSON(webhook: webhook, showSecret: true),
            status: .created,
            headers: [.location: "/v1/webhooks/\(webhook.id.lowercasedString)", .cacheControl: "no-store"]
        )
    }

    @Sendable func list(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(try await service.list().map { WebhookJSON(webhook: $0) })
    }

    @Sendable func get(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(WebhookJSON(webhook: try await service.get(try id(context))))
    }

    @Sendable func patch(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let id = try id(context)
        let body = try await JSONBody.decode(PatchWebhookRequest.self, from: request, context: context)!
        return try JSONResponse.make(WebhookJSON(webhook: try await service.update(id, body.patch)))
    }

    @Sendable func delete(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try await service.delete(try id(context))
        return Response(status: .noContent)
    }

    /// Newest first; `?limit=` 1 to 1000 (default 100).
    @Sendable func deliveries(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let id = try id(context)
        var limit = 100
        if let raw = request.uri.queryParameters["limit"] {
            guard let value = Int(raw), (1...WebhookStoreLimits.attemptsKept).contains(value) else {
                throw TorrusError.invalidInput("limit must be a whole number from 1 to \(WebhookStoreLimits.attemptsKept).")
            }
            limit = value
        }
        return try JSONResponse.make(try await service.attempts(id, limit: limit).map(WebhookAttemptJSON.init))
    }

    /// Sends a `webhook.test` message now; 200 with the attempt, whatever the receiver answered.
    @Sendable func test(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try JSONResponse.make(WebhookAttemptJSON(attempt: try await service.test(try id(context))))
    }

    private func id(_ context: TorrusRequestContext) throws -> UUID {
        let raw = try context.parameters.require("id")
        guard let id = UUID(text: raw) else {
            throw TorrusError.notFound("'\(TextRules.escapingControls(String(raw.prefix(40))))' is not a webhook id; ids are UUIDs.")
        }
        return id
    }
}
