/// `POST /v1/downloads` body.
struct CreateDownloadRequest: Decodable {
    var source: String
    var targetPath: String?
    var desiredStatus: DesiredStatus?

    private enum CodingKeys: String, CodingKey { case source, targetPath, desiredStatus }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["source", "targetPath", "desiredStatus"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        source = try container.decode(String.self, forKey: .source)
        targetPath = try container.decodeIfPresent(String.self, forKey: .targetPath)
        desiredStatus = try container.decodeIfPresent(String.self, forKey: .desiredStatus).map { value in
            guard let status = DesiredStatus(rawValue: value), status != .cancelled else {
                throw TorrusError.invalidInput("desiredStatus of a new download must be Queued, Active or Paused; got '\(value)'.")
            }
            return status
        }
    }
}

/// `PATCH /v1/downloads/{id}` body.
struct PatchDownloadRequest: Decodable {
    var desiredStatus: RequestedStatus

    private enum CodingKeys: String, CodingKey { case desiredStatus }

    init(from decoder: any Decoder) throws {
        try StrictKeys.check(decoder, allowed: ["desiredStatus"], immutable: ["source", "targetPath"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let value = try container.decode(String.self, forKey: .desiredStatus)
        guard let requested = RequestedStatus(wireValue: value) else {
            throw TorrusError.invalidInput("desiredStatus must be one of Active, Resume, Paused, Cancelled; got '\(value)'.")
        }
        desiredStatus = requested
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
