import Foundation
import Hummingbird

/// The v1 download routes. Each handler reads its input, calls the service, and encodes the
/// result; rules live in the service, error mapping in `ProblemMiddleware`.
struct DownloadsController {
    let service: DownloadService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("downloads", use: list)
        group.post("downloads", use: create)
        group.get("downloads/:id", use: get)
        group.patch("downloads/:id", use: patch)
        group.delete("downloads/:id", use: delete)
        table.add(base + "/downloads", [.get, .post])
        table.add(base + "/downloads/:id", [.get, .patch, .delete])
    }

    @Sendable func list(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let downloads = try await service.list()
        var json: [UInt8] = [UInt8(ascii: "[")]
        json.reserveCapacity(downloads.count * 512)
        for (index, download) in downloads.enumerated() {
            if index > 0 { json.append(UInt8(ascii: ",")) }
            DownloadJSON.append(download, to: &json)
        }
        json.append(UInt8(ascii: "]"))
        return JSONResponse.bytes(json)
    }

    /// 201 with `Location` for a new download, 200 with the existing one for a repeated create.
    @Sendable func create(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateDownloadRequest.self, from: request, context: context)!
        let (download, created) = try await service.create(
            .init(source: body.source, targetPath: body.targetPath, desiredStatus: body.desiredStatus)
        )
        return JSONResponse.download(
            download,
            status: created ? .created : .ok,
            headers: [.location: "/v1/downloads/\(download.id.lowercasedString)"]
        )
    }

    @Sendable func get(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let download = try await service.get(try id(context))
        return JSONResponse.download(download)
    }

    @Sendable func patch(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let id = try id(context)
        let body = try await JSONBody.decode(PatchDownloadRequest.self, from: request, context: context)!
        let download = try await service.setDesiredStatus(id, to: body.desiredStatus)
        return JSONResponse.download(download)
    }

    @Sendable func delete(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let id = try id(context)
        let body = try await JSONBody.decode(DeleteDownloadRequest.self, from: request, context: context, required: false)
        try await service.delete(id, deleteFiles: body?.deleteFiles ?? false)
        return Response(status: .noContent)
    }

    /// A path id that is not a UUID names no download: 404, like any unknown id.
    private func id(_ context: TorrusRequestContext) throws -> UUID {
        let raw = try context.parameters.require("id")
        guard let id = UUID(uuidString: raw) else {
            throw TorrusError.notFound("'\(raw)' is not a download id; ids are UUIDs.")
        }
        return id
    }
}
