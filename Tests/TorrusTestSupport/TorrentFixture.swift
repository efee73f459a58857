/// Small torrents written out by hand; their info-hashes were computed apart (Python's hashlib
/// over the same `info` bytes), so the reader's hash is checked against another implementation.
/// aria2 accepts them too (their piece hashes are never checked while they stay paused).
package enum TorrentFixture {
    package static let singleInfo = "d6:lengthi5e4:name5:a.bin12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaae"
    package static let singleHash = "4eac6ef2084892eaa7dc2aec098a98955fe883ff"
    package static let multiInfo =
        "d5:filesld6:lengthi3e4:pathl1:xeed6:lengthi4e4:pathl3:sub1:yeee4:name3:dir12:piece lengthi16384e6:pieces20:bbbbbbbbbbbbbbbbbbbbe"
    package static let multiHash = "23246de23e6fb8aa70286defa3cdaeaf858e8ee1"

    /// A torrent of `info` with an announce URL, and `comment` bytes outside the info dictionary.
    package static func torrent(info: String, comment: String? = nil) -> [UInt8] {
        let note = comment.map { "7:comment\($0.utf8.count):\($0)" } ?? ""
        return Array("d\(note)8:announce22:http://127.0.0.1:1/ann4:info\(info)e".utf8)
    }

    package static var single: [UInt8] { torrent(info: singleInfo) }
    package static var multi: [UInt8] { torrent(info: multiInfo) }

    /// A single-file torrent named `name` (given as raw bencoded string bytes).
    package static func named(_ name: [UInt8]) -> [UInt8] {
        Array("d8:announce22:http://127.0.0.1:1/ann4:infod6:lengthi5e4:name\(name.count):".utf8) + name
            + Array("12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee".utf8)
    }
}

/// A `multipart/form-data` body, as a browser or `curl -F` sends one.
package enum MultipartForm {
    package static let boundary = "torrus-test-boundary"

    package static var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    package static func body(_ parts: [(name: String, contentType: String, body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for part in parts {
            out += Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"; filename=\"\(part.name).bin\"\r\n".utf8)
            out += Array("Content-Type: \(part.contentType)\r\n\r\n".utf8) + part.body + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }
}
