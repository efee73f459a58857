import Foundation

/// The v1 JSON of a download, written straight into bytes: keys sorted, `/` unescaped, strings
/// escaped as Foundation's `JSONEncoder` escapes them — the bytes the API has always sent (the
/// tests compare the two). A download is encoded once per change and served as these bytes;
/// `JSONEncoder` took ~12 µs a download and made lists of 1000 cost 10–20 ms per request.
///
/// Unknown values are explicit nulls (`gid`, `name`), so every download has the same keys;
/// `error` appears only on a Failed download.
public enum DownloadJSON {
    public static func encode(_ download: Download) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(384 + download.source.utf8.count + download.files.count * 96)
        append(download, to: &out)
        return out
    }

    public static func append(_ download: Download, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"category":"#.utf8)
        JSONText.optionalString(download.category, to: &out)
        out.append(contentsOf: #","createdAt":""#.utf8)
        RFC3339.append(download.createdAt, to: &out)
        out.append(contentsOf: #"","desiredStatus":""#.utf8)
        out.append(contentsOf: download.desiredStatus.rawValue.utf8)
        out.append(UInt8(ascii: "\""))
        if download.status == .failed, let error = download.error {
            out.append(contentsOf: #","error":{"code":"#.utf8)
            JSONText.number(Int64(error.code), to: &out)
            out.append(contentsOf: #","message":"#.utf8)
            JSONText.string(error.message, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #","files":"#.utf8)
        appendFiles(download.files, to: &out)
        out.append(contentsOf: #","gid":"#.utf8)
        JSONText.optionalString(download.gid?.rawValue, to: &out)
        out.append(contentsOf: #","id":""#.utf8)
        download.id.appendLowercased(to: &out)
        out.append(contentsOf: #"","mirrors":"#.utf8)
        appendStrings(download.mirrors, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONText.optionalString(download.name, to: &out)
        out.append(contentsOf: #","options":"#.utf8)
        appendOptions(download.options, to: &out)
        out.append(contentsOf: #","progress":"#.utf8)
        appendProgress(download.progress, to: &out)
        out.append(contentsOf: #","source":"#.utf8)
        JSONText.string(download.source, to: &out)
        out.append(contentsOf: #","status":""#.utf8)
        out.append(contentsOf: download.status.rawValue.utf8)
        out.append(contentsOf: #"","tags":"#.utf8)
        appendStrings(download.tags, to: &out)
        out.append(contentsOf: #","targetPath":"#.utf8)
        JSONText.string(download.targetPath, to: &out)
        out.append(contentsOf: #","updatedAt":""#.utf8)
        RFC3339.append(download.updatedAt, to: &out)
        out.append(contentsOf: #"","upload":"#.utf8)
        if let upload = download.upload {
            out.append(contentsOf: #"{"kind":""#.utf8)
            out.append(contentsOf: upload.kind.rawValue.utf8)
            out.append(contentsOf: #"","sha256":""#.utf8)
            out.append(contentsOf: upload.sha256.utf8)
            out.append(contentsOf: #"","size":"#.utf8)
            JSONText.number(Int64(upload.size), to: &out)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(contentsOf: "null".utf8)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Only what was set (no key: aria2's default). Headers by name only: their values may be
    /// credentials.
    static func appendOptions(_ options: DownloadOptions, to out: inout [UInt8]) {
        var first = true
        func key(_ name: String) {
            out.append(UInt8(ascii: first ? "{" : ","))
            first = false
            JSONText.string(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        if let checksum = options.checksum {
            key("checksum")
            JSONText.string(checksum, to: &out)
        }
        if let connections = options.connections {
            key("connections")
            JSONText.number(Int64(connections), to: &out)
        }
        if !options.headers.isEmpty {
            key("headers")
            appendStrings(options.headers.map { String($0.prefix { $0 != ":" }) }, to: &out)
        }
        if let limit = options.maxDownloadLimit {
            key("maxDownloadLimit")
            JSONText.number(limit, to: &out)
        }
        if let name = options.out {
            key("out")
            JSONText.string(name, to: &out)
        }
        if let ratio = options.seedRatio {
            key("seedRatio")
            // As JSONEncoder writes a Double: whole numbers without a fraction.
            out.append(contentsOf: (ratio == ratio.rounded() && abs(ratio) < 1e15 ? String(Int64(ratio)) : "\(ratio)").utf8)
        }
        if let time = options.seedTime {
            key("seedTime")
            JSONText.number(Int64(time), to: &out)
        }
        if let files = options.selectFiles {
            key("selectFiles")
            out.append(UInt8(ascii: "["))
            for (index, file) in files.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.number(Int64(file), to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        if first { out.append(UInt8(ascii: "{")) }
        out.append(UInt8(ascii: "}"))
    }

    static func appendStrings(_ strings: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.string(string, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    // The parts the event stream sends on their own (`EventPayload`).

    static func appendFiles(_ files: [DownloadFile], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, file) in files.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"completed":"#.utf8)
            JSONText.number(file.completed, to: &out)
            out.append(contentsOf: #","length":"#.utf8)
            JSONText.number(file.length, to: &out)
            out.append(contentsOf: #","path":"#.utf8)
            JSONText.string(file.path, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    static func appendProgress(_ progress: DownloadProgress, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"completedLength":"#.utf8)
        JSONText.number(progress.completedLength, to: &out)
        out.append(contentsOf: #","downloadSpeed":"#.utf8)
        JSONText.number(progress.downloadSpeed, to: &out)
        out.append(contentsOf: #","totalLength":"#.utf8)
        JSONText.number(progress.totalLength, to: &out)
        out.append(contentsOf: #","uploadSpeed":"#.utf8)
        JSONText.number(progress.uploadSpeed, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

extension DownloadEncoding {
    /// What the stores keep with each download: its v1 JSON. Bump the version whenever
    /// `DownloadJSON`'s bytes change, so stored rows are encoded again.
    public static let v1JSON = DownloadEncoding(version: 3) { DownloadJSON.encode($0) }
}
