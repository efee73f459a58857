import Crypto
import Foundation

/// What Torrus reads from an uploaded `.torrent` (BEP 3) before aria2 sees it: the info-hash (the
/// download's identity), its name and its files. Everything a torrent names becomes a path aria2
/// writes and a string in its session file and our logs, so names are checked as strictly as a
/// client's `options.out`: a torrent that would write outside its directory, or that carries
/// control or invisible characters, is refused with the reason.
struct TorrentMetainfo: Equatable {
    /// SHA-1 of the bencoded `info` dictionary, 40 lower-case hex digits.
    var infoHash: String
    var name: String
    /// Each file's path below the download directory (the torrent's name first for a multi-file
    /// torrent, as aria2 writes it) and length, in the torrent's order: `selectFiles` numbers them from 1.
    var files: [(path: [String], length: Int64)]

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.infoHash == rhs.infoHash && lhs.name == rhs.name
            && lhs.files.count == rhs.files.count && zip(lhs.files, rhs.files).allSatisfy { $0.path == $1.path && $0.length == $1.length }
    }

    static let maxFiles = 100_000
    static let maxTotalLength: Int64 = 1 << 50

    init(_ bytes: [UInt8]) throws(TorrusError) {
        let root: Bencode
        do {
            root = try Bencode.decode(bytes)
        } catch {
            throw Self.invalid("it is not bencoded (\(error.reason) at byte \(error.offset))")
        }
        guard case .dictionary = root else { throw Self.invalid("it is not a bencoded dictionary") }
        guard let info = root["info"], case .dictionary = info, let range = root.range(of: "info") else {
            throw Self.invalid("it has no info dictionary")
        }
        infoHash = Insecure.SHA1.hash(data: bytes[range]).lowercaseHex

        guard case .bytes(let pieces)? = info["pieces"] else {
            if info["file tree"] != nil { throw Self.invalid("it is a BitTorrent v2-only torrent, which aria2 cannot download") }
            throw Self.invalid("info.pieces is missing")
        }
        guard !pieces.isEmpty, pieces.count % 20 == 0 else { throw Self.invalid("info.pieces is not a list of SHA-1 hashes") }
        guard case .integer(let pieceLength)? = info["piece length"], pieceLength > 0 else {
            throw Self.invalid("info.piece length is missing or not a positive number")
        }
        name = try Self.component(info["name.utf-8"] ?? info["name"], field: "info.name")

        var files: [(path: [String], length: Int64)] = []
        var total: Int64 = 0
        switch (info["length"], info["files"]) {
        case (.integer(let length)?, nil):
            guard length >= 0, length <= Self.maxTotalLength else { throw Self.invalid("info.length is out of range") }
            files = [([name], length)]
            total = length
        case (nil, .list(let entries)?):
            guard !entries.isEmpty, entries.count <= Self.maxFiles else {
                throw Self.invalid("info.files must list 1 to \(Self.maxFiles) files")
            }
            for (index, entry) in entries.enumerated() {
                guard case .integer(let length)? = entry["length"], length >= 0, length <= Self.maxTotalLength - total else {
                    throw Self.invalid("the length of file \(index + 1) is missing or out of range")
                }
                guard case .list(let parts)? = entry["path.utf-8"] ?? entry["path"], !parts.isEmpty, parts.count <= 64 else {
                    throw Self.invalid("the path of file \(index + 1) is missing")
                }
                var path = [name]
                for part in parts { path.append(try Self.component(part, field: "the path of file \(index + 1)")) }
                files.append((path, length))
                total += length
            }
        default:
            throw Self.invalid("info must have either length (one file) or files (several)")
        }
        let pieceCount = Int64(pieces.count / 20)
        // aria2 checks this too, but later and less clearly: the pieces must cover the files.
        guard total <= pieceCount * pieceLength, total > (pieceCount - 1) * pieceLength || (total == 0 && pieceCount == 1) else {
            throw Self.invalid("info.pieces does not match the files' total length")
        }
        self.files = files
    }

    /// One file or directory name: UTF-8, 1 to 255 bytes, no separator, not `.` or `..`, no
    /// control or invisible characters, no space at either end.
    private static func component(_ value: Bencode?, field: String) throws(TorrusError) -> String {
        guard case .bytes(let raw)? = value else { throw invalid("\(field) is missing or not a string") }
        guard let text = String(validating: raw, as: UTF8.self) else { throw invalid("\(field) is not UTF-8") }
        guard !text.isEmpty, raw.count <= 255 else { throw invalid("\(field) must be 1 to 255 bytes") }
        guard !text.contains("/"), !text.contains("\\"), text != ".", text != ".." else {
            throw invalid("\(field) '\(TextRules.escapingControls(String(text.prefix(60))))' is not a plain name")
        }
        if let hidden = text.unicodeScalars.first(where: { TextRules.isControl($0.value) || TextRules.isInvisible($0) }) {
            throw invalid("\(field) contains a control or invisible character (\(TextRules.describe(hidden.value)))")
        }
        guard text.trimmingCharacters(in: .whitespaces) == text else { throw invalid("\(field) begins or ends with a space") }
        return text
    }

    private static func invalid(_ reason: String) -> TorrusError {
        .invalidInput("The torrent is not valid: \(reason).")
    }
}
