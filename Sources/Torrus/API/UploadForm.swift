import Foundation
import Hummingbird
import MultipartKit
import NIOCore
import NIOHTTP1

/// `POST /v1/downloads` as `multipart/form-data`: a `torrent` part holding the `.torrent` file,
/// and an optional `request` part holding the JSON fields of a create (targetPath, options, …).
/// Strict like the JSON bodies: at most 11 MiB (413), each part named once, no other parts, and a
/// form that ends before its closing boundary (a truncated upload) is refused, never half-used.
enum UploadForm {
    static let maxSize = DownloadUpload.Kind.torrent.maxSize + JSONBody.maxSize

    static func isForm(_ contentType: String?) -> Bool {
        contentType.flatMap(MediaType.init(from:))?.isType(.multipartForm) ?? false
    }

    static func decode(_ request: Request) async throws -> CreateDownloadRequest {
        let boundary = try boundary(request.headers[.contentType])
        let body = try await JSONBody.collect(request, limit: maxSize)
        var parts: [MultipartPart] = []
        var headers = HTTPHeaders()
        var content = ByteBuffer()
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in headers.add(name: name, value: value) }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            parts.append(MultipartPart(headers: headers, body: content))
            (headers, content) = (HTTPHeaders(), ByteBuffer())
        }
        do {
            try parser.execute(body)
        } catch {
            throw TorrusError.invalidInput("The multipart form is malformed.")
        }
        // The parser has no "done" to ask: a form cut short (a truncated upload) is one that does
        // not end with its closing boundary (trailing line breaks aside).
        let closing = Array("--\(boundary)--".utf8)
        var tail = body.readableBytesView[...]
        while let last = tail.last, [13, 10, 32, 9].contains(last) { tail = tail.dropLast() }
        guard tail.count >= closing.count, tail.suffix(closing.count).elementsEqual(closing) else {
            throw TorrusError.invalidInput("The multipart form is truncated: it does not end with its closing boundary.")
        }

        var torrent: ByteBuffer?
        var fields: ByteBuffer?
        for part in parts {
            switch part.name {
            case "torrent":
                guard torrent == nil else { throw TorrusError.invalidInput("The form has more than one 'torrent' part.") }
                torrent = part.body
            case "request":
                guard fields == nil else { throw TorrusError.invalidInput("The form has more than one 'request' part.") }
                fields = part.body
            case "metalink":
                throw DownloadUpload.metalinkRefused
            case let name:
                let shown = name.map { "'\(TextRules.escapingControls(String($0.prefix(40))))'" } ?? "without a name"
                throw TorrusError.invalidInput("Unknown form part \(shown); allowed: torrent, request.")
            }
        }
        guard let torrent else { throw TorrusError.invalidInput("The form has no 'torrent' part.") }
        let json = fields.flatMap { $0.readableBytes > 0 ? $0 : nil } ?? ByteBuffer(string: "{}")
        var create = try JSONBody.decode(CreateDownloadRequest.self, body: json, userInfo: [CreateDownloadRequest.formPart: true])
        create.upload = UploadedFile(kind: .torrent, bytes: Array(torrent.readableBytesView))
        return create
    }

    private static func boundary(_ contentType: String?) throws -> String {
        guard let parameter = contentType.flatMap(MediaType.init(from:))?.parameter, parameter.name.lowercased() == "boundary" else {
            throw TorrusError.invalidInput("A multipart/form-data body needs a boundary parameter in its Content-Type.")
        }
        let boundary = parameter.value
        // RFC 2046: 1 to 70 characters.
        guard (1...70).contains(boundary.utf8.count), !boundary.unicodeScalars.contains(where: { TextRules.isControl($0.value) }) else {
            throw TorrusError.invalidInput("The multipart boundary must be 1 to 70 printable characters.")
        }
        return boundary
    }
}
