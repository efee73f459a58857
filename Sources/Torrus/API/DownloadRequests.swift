import Foundation

/// `POST /v1/downloads` body: `source`, or `sources` (the same file at several URIs), or
/// `torrent` (a `.torrent` file as base64). In a multipart form (`UploadForm`) the `request`
/// part holds the same fields but those three: the file is a part of its own.
struct CreateDownloadRequest: Decodable {
    var sources: [String]
    var targetPath: String?
    var desiredStatus: DesiredStatus?
    var options: DownloadOptions
    var category: String?
    var tags: [String]
    var upload: UploadedFile?

    /// Set in the decoder's `userInfo` for a form's `request` part.
    static let formPart = CodingUserInfoKey(rawValue: "torrus.formPart")!
    static let fields: Set<String> = ["targetPath", "desiredStatus", "options", "category", "tags"]

    private enum CodingKeys: String, CodingKey { case source, sources, torrent, metalink, targetPath, desiredStatus, options, category, tags }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if decoder.userInfo[Self.formPart] != nil {
            try StrictKeys.check(decoder, allowed: Self.fields, field: "request")
            sources = []
        } else {
            try StrictKeys.check(decoder, allowed: Self.fields.union(["source", "sources", "torrent", "metalink"]))
            (sources, upload) = try Self.origin(container)
        }
        targetPath = try container.decodeIfPresent(String.self, forKey: .targetPath)
        desiredStatus = try container.decodeIfPresent(String.self, forKey: .desiredStatus).map { value in
            guard let status = DesiredStatus(rawValue: value), status != .cancelled else {
                throw TorrusError.invalidInput("desiredStatus of a new download must be Queued, Active or Paused; got '\(value)'.")
            }
            return status
        }
        options = try container.decodeIfPresent(OptionsRequest.self, forKey: .options)?.options ?? DownloadOptions()
        category = try container.decodeIfPresent(String.self, forKey: .category)
        tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
    }

    /// The URIs, or the uploaded file.
    private static func origin(_ container: KeyedDecodingContainer<CodingKeys>) throws -> ([String], UploadedFile?) {
        if container.contains(.metalink) {
            throw DownloadUpload.metalinkRefused
        }
        if let torrent = try container.decodeIfPresent(String.self, forKey: .torrent) {
            guard !container.contains(.source), !container.contains(.sources) else {
                throw TorrusError.invalidInput("Give source, sources or torrent, only one of them.")
            }
            // Refused before decoding.
            guard torrent.utf8.count <= DownloadUpload.Kind.torrent.maxBase64Length else {
                throw TorrusError.tooLarge("The torrent is larger than \(DownloadUpload.Kind.torrent.maxSize) bytes.")
            }
            guard let bytes = Data(base64Encoded: torrent) else { throw TorrusError.invalidInput("Field 'torrent' must be base64.") }
            return ([], UploadedFile(kind: .torrent, bytes: [UInt8](bytes)))
        }
        let source = try container.decodeIfPresent(String.self, forKey: .source)
        let sources = try container.decodeIfPresent([String].self, forKey: .sources)
        switch (source, sources) {
        case (let source?, nil): return ([source], nil)
        case (nil, let sources?):
            guard !sources.isEmpty else { throw TorrusError.invalidInput("sources must name at least one URI.") }
            return (sources, nil)
        case (nil, nil) where container.contains(.source):
            throw TorrusError.invalidInput("Field 'source' must be a string, not null.")
        case (nil, nil):
            throw TorrusError.invalidInput(
                "Field 'source' is required (or 'sources', a list of URIs of the same file, or 'torrent', a .torrent file as base64)."
            )
        case (_?, _?): throw TorrusError.invalidInput("Give 'source' or 'sources', not both.")
        }
    }
}

/// The `options` object of a create: aria2's per-download options by the API's names.
struct OptionsRequest: Decodable {
    var options = DownloadOptions()

    private enum CodingKeys: String, CodingKey { case out, headers, connections, checksum }

    static let names = ["out", "headers", "maxDownloadLimit", "connections", "checksum", "selectFiles", "seedRatio", "seedTime"]

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: Set(Self.names), field: "options")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        options = try ChangeableOptionsRequest.decodeChangeable(from: decoder)
        options.out = try container.decodeIfPresent(String.self, forKey: .out)
        options.headers = try container.decodeIfPresent([String].self, forKey: .headers) ?? []
        options.connections = try container.decodeIfPresent(Int.self, forKey: .connections)
        options.checksum = try container.decodeIfPresent(String.self, forKey: .checksum)
    }
}

/// `PATCH /v1/downloads/{id}` body: a status to move to, and what may change after creation.
struct PatchDownloadRequest: Decodable {
    var desiredStatus: RequestedStatus?
    var settings: DownloadSettingsChange

    private enum CodingKeys: String, CodingKey { case desiredStatus, options, category, tags }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["desiredStatus", "options", "category", "tags"], immutable: ["source", "sources", "targetPath"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        desiredStatus = try container.decodeIfPresent(String.self, forKey: .desiredStatus).map { value in
            guard let requested = RequestedStatus(wireValue: value) else {
                throw TorrusError.invalidInput("desiredStatus must be one of Active, Resume, Paused, Cancelled; got '\(value)'.")
            }
            return requested
        }
        settings = DownloadSettingsChange(
            options: try container.decodeIfPresent(ChangeableOptionsRequest.self, forKey: .options)?.options,
            category: try container.decodeIfPresent(String.self, forKey: .category),
            tags: try container.decodeIfPresent([String].self, forKey: .tags)
        )
        guard desiredStatus != nil || !settings.isEmpty else {
            throw TorrusError.invalidInput("Give at least one of desiredStatus, options, category, tags.")
        }
    }
}

/// The `options` of a PATCH: those aria2 can change on a download it has.
struct ChangeableOptionsRequest: Decodable {
    var options = DownloadOptions()

    private enum CodingKeys: String, CodingKey { case maxDownloadLimit, selectFiles, seedRatio, seedTime }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(
            decoder,
            allowed: ["maxDownloadLimit", "selectFiles", "seedRatio", "seedTime"],
            immutable: ["out", "headers", "connections", "checksum"],
            field: "options"
        )
        options = try Self.decodeChangeable(from: decoder)
    }

    /// The four options a PATCH may change, as the create reads them too.
    static func decodeChangeable(from decoder: any Decoder) throws -> DownloadOptions {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var options = DownloadOptions()
        options.maxDownloadLimit = try container.decodeIfPresent(Int64.self, forKey: .maxDownloadLimit)
        options.selectFiles = try container.decodeIfPresent([Int].self, forKey: .selectFiles)
        options.seedRatio = try container.decodeIfPresent(Double.self, forKey: .seedRatio)
        options.seedTime = try container.decodeIfPresent(Int.self, forKey: .seedTime)
        return options
    }
}

/// Optional `DELETE /v1/downloads/{id}` body.
struct DeleteDownloadRequest: Decodable {
    var deleteFiles: Bool

    private enum CodingKeys: String, CodingKey { case deleteFiles }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["deleteFiles"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        deleteFiles = try container.decodeIfPresent(Bool.self, forKey: .deleteFiles) ?? false
    }
}

/// Optional body of `POST /v1/downloads/pause` and `/resume`: which downloads (all when empty).
struct BulkRequest: Decodable {
    var ids: [UUID]?
    var category: String?

    private enum CodingKeys: String, CodingKey { case ids, category }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["ids", "category"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ids = try container.decodeIfPresent([String].self, forKey: .ids).map { raw in
            guard raw.count <= 10_000 else { throw TorrusError.invalidInput("ids: at most 10,000.") }
            return try raw.map { text in
                guard let id = UUID(text: text) else {
                    throw TorrusError.invalidInput("ids: '\(TextRules.escapingControls(String(text.prefix(40))))' is not a download id.")
                }
                return id
            }
        }
        category = try container.decodeIfPresent(String.self, forKey: .category)
        if let category { try DownloadOptionRules.validateLabel(category, field: "category") }
        guard ids == nil || category == nil else { throw TorrusError.invalidInput("Give ids or category, not both.") }
    }
}
