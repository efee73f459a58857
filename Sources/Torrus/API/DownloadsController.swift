import Foundation
import Hummingbird

/// The v1 download routes. Each handler reads its input, calls the service, and encodes the
/// result; rules live in the service, error mapping in `ProblemMiddleware`.
struct DownloadsController {
    let service: DownloadService

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("downloads", use: list)
        group.post("downloads", use: create)
        group.post("downloads/pause", use: pauseAll)
        group.post("downloads/resume", use: resumeAll)
        group.get("downloads/:id", use: get)
        group.patch("downloads/:id", use: patch)
        group.delete("downloads/:id", use: delete)
        group.get("downloads/:id/files", use: files)
        table.add(base + "/downloads", [.get, .post])
        table.add(base + "/downloads/pause", [.post])
        table.add(base + "/downloads/resume", [.post])
        table.add(base + "/downloads/:id", [.get, .patch, .delete])
        table.add(base + "/downloads/:id/files", [.get])
    }

    /// A create may carry a torrent as base64, with the JSON around it.
    static let createLimit = DownloadUpload.Kind.torrent.maxBase64Length + JSONBody.maxSize

    /// Downloads per store read of the list. A list of up to this many is one buffer with its
    /// length; a longer one is streamed page by page, so memory stays flat however long it is.
    static let listPage = 2000

    @Sendable func list(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        if let query = try ListQuery.parse(request) { return try await paged(request, query) }
        let first: RepresentationPage
        let snapshot = try await service.representationList(limit: Self.listPage)
        let headers: HTTPFields = [.contentType: "application/json", .torrusSequence: String(snapshot.sequence)]
        switch snapshot.list {
        case .whole(let array):
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: array))
        case .firstPage(let page):
            first = page
        }
        let service = self.service
        let body = ResponseBody { writer in
            try await writer.write(JSONArray.buffer(first.items, closing: nil))
            var page = first
            while page.items.count == Self.listPage, let last = page.last {
                page = try await service.representations(after: last, limit: Self.listPage)
                if !page.items.isEmpty { try await writer.write(JSONArray.buffer(page.items, opening: UInt8(ascii: ","), closing: nil)) }
            }
            try await writer.write(ByteBuffer(string: "]"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The paged form: `{"items": [...], "nextCursor": "…" | null}`, the next page also in `Link`.
    private func paged(_ request: Request, _ query: DownloadQuery) async throws -> Response {
        let page = try await service.page(query)
        var body = ByteBuffer(string: #"{"items":"#)
        body.writeImmutableBuffer(JSONArray.buffer(page.items))
        body.writeString(#","nextCursor":"#)
        let token = page.next?.token
        body.writeString(token.map { "\"\($0)\"" } ?? "null")
        body.writeString("}")
        var headers: HTTPFields = [.contentType: "application/json", .torrusSequence: String(page.sequence)]
        if let token { headers[.link] = "<\(ListQuery.nextLink(request, token: token))>; rel=\"next\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    /// 201 with `Location` for a new download, 200 with the existing one for a repeated create.
    /// A JSON body, or a multipart form carrying a `.torrent` (`UploadForm`).
    @Sendable func create(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let body =
            UploadForm.isForm(request.headers[.contentType])
            ? try await UploadForm.decode(request)
            : try await JSONBody.decode(CreateDownloadRequest.self, from: request, context: context, limit: Self.createLimit)!
        let (download, created) = try await service.create(
            .init(
                sources: body.sources,
                targetPath: body.targetPath,
                desiredStatus: body.desiredStatus,
                options: body.options,
                category: body.category,
                tags: body.tags,
                upload: body.upload
            )
        )
        return JSONResponse.download(
            download,
            status: created ? .created : .ok,
            headers: [.location: "/v1/downloads/\(download.id.lowercasedString)"]
        )
    }

    @Sendable func pauseAll(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try await bulk(.paused, request, context)
    }

    @Sendable func resumeAll(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        try await bulk(.active, request, context)
    }

    /// 200 `{"changed": [ids], "unchanged": [ids], "refused": [{"id", "reason"}]}`.
    private func bulk(_ requested: RequestedStatus, _ request: Request, _ context: TorrusRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(BulkRequest.self, from: request, context: context, required: false)
        let result = try await service.bulk(requested, ids: body?.ids, category: body?.category)
        struct Refusal: Encodable {
            let id: String
            let reason: String
        }
        struct Answer: Encodable {
            let changed: [String]
            let unchanged: [String]
            let refused: [Refusal]
        }
        return try JSONResponse.make(
            Answer(
                changed: result.changed.map { $0.lowercasedString },
                unchanged: result.unchanged.map { $0.lowercasedString },
                refused: result.refused.map { Refusal(id: $0.id.lowercasedString, reason: $0.reason) }
            )
        )
    }

    @Sendable func get(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        JSONResponse.bytes(try await service.representation(of: try id(context)))
    }

    /// The download's files as stored (what the downloader last reported); no downloader call.
    @Sendable func files(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let download = try await service.get(try id(context))
        var out: [UInt8] = []
        out.reserveCapacity(2 + download.files.count * 128)
        DownloadJSON.appendFiles(download.files, to: &out)
        return JSONResponse.bytes(out)
    }

    @Sendable func patch(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let id = try id(context)
        let body = try await JSONBody.decode(PatchDownloadRequest.self, from: request, context: context)!
        var download: Download?
        if !body.settings.isEmpty { download = try await service.change(id, body.settings) }
        if let desired = body.desiredStatus { download = try await service.setDesiredStatus(id, to: desired) }
        return JSONResponse.download(download!)
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
        guard let id = UUID(text: raw) else {
            throw TorrusError.notFound("'\(raw)' is not a download id; ids are UUIDs.")
        }
        return id
    }
}
