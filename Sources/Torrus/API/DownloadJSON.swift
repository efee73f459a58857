import Foundation

/// The v1 JSON of a download, written straight into bytes: keys sorted, `/` unescaped, strings
/// escaped as Foundation's `JSONEncoder` escapes them — the bytes the API has always sent (the
/// tests compare the two). A download is encoded once per change and served as these bytes;
/// `JSONEncoder` took ~12 µs a download and made lists of 1000 cost 10–20 ms per request.
///
/// Unknown values are explicit nulls (`gid`, `name`, `completedAt`, …), so every download has the
/// same keys; `error` appears only on a Failed download. Derived figures (`progress.percent`,
/// `eta`, `ratio`) are computed here from what the downloader reported.
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
        out.append(contentsOf: #","completedAt":"#.utf8)
        appendDate(download.completedAt, to: &out)
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
        out.append(contentsOf: #"","infoHash":"#.utf8)
        JSONText.optionalString(download.infoHash, to: &out)
        out.append(contentsOf: #","mirrors":"#.utf8)
        appendStrings(download.mirrors, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONText.optionalString(download.name, to: &out)
        out.append(contentsOf: #","options":"#.utf8)
        appendOptions(download.options, to: &out)
        out.append(contentsOf: #","progress":"#.utf8)
        appendProgress(of: download, to: &out)
        out.append(contentsOf: #","seeding":"#.utf8)
        appendBool(download.progress.seeding, to: &out)
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
            JSONText.number(ratio, to: &out)
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
            out.append(contentsOf: #","index":"#.utf8)
            JSONText.number(Int64(file.index), to: &out)
            out.append(contentsOf: #","length":"#.utf8)
            JSONText.number(file.length, to: &out)
            out.append(contentsOf: #","path":"#.utf8)
            JSONText.string(file.path, to: &out)
            out.append(contentsOf: #","selected":"#.utf8)
            appendBool(file.selected, to: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The download's progress with the figures derived from it: `eta` (seconds), `percent`
    /// (one decimal) and `ratio` (a torrent's uploaded ÷ completed, three decimals).
    static func appendProgress(of download: Download, to out: inout [UInt8]) {
        let progress = download.progress
        let complete = download.status == .complete
        out.append(contentsOf: #"{"completedLength":"#.utf8)
        JSONText.number(progress.completedLength, to: &out)
        out.append(contentsOf: #","connections":"#.utf8)
        JSONText.number(progress.connections, to: &out)
        out.append(contentsOf: #","downloadSpeed":"#.utf8)
        JSONText.number(progress.downloadSpeed, to: &out)
        out.append(contentsOf: #","eta":"#.utf8)
        if let eta = eta(progress, complete: complete) { JSONText.number(eta, to: &out) } else { appendNull(to: &out) }
        out.append(contentsOf: #","numSeeders":"#.utf8)
        if let seeders = progress.numSeeders { JSONText.number(seeders, to: &out) } else { appendNull(to: &out) }
        out.append(contentsOf: #","percent":"#.utf8)
        if let percent = percent(progress, complete: complete) { JSONText.number(percent, to: &out) } else { appendNull(to: &out) }
        out.append(contentsOf: #","ratio":"#.utf8)
        if let ratio = ratio(progress, torrent: download.infoHash != nil) { JSONText.number(ratio, to: &out) } else { appendNull(to: &out) }
        out.append(contentsOf: #","totalLength":"#.utf8)
        JSONText.number(progress.totalLength, to: &out)
        out.append(contentsOf: #","uploadSpeed":"#.utf8)
        JSONText.number(progress.uploadSpeed, to: &out)
        out.append(contentsOf: #","uploadedLength":"#.utf8)
        JSONText.number(progress.uploadedLength, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// Seconds left at the current speed, rounded up: 0 once Complete, nil when it cannot be told
    /// (no speed, unknown length).
    static func eta(_ progress: DownloadProgress, complete: Bool) -> Int64? {
        if complete { return 0 }
        guard progress.downloadSpeed > 0, progress.totalLength > 0 else { return nil }
        let left = max(0, progress.totalLength - progress.completedLength)
        return left / progress.downloadSpeed + (left % progress.downloadSpeed > 0 ? 1 : 0)
    }

    /// Completed ÷ total × 100 to one decimal: 100 once Complete, nil while the length is unknown,
    /// never over 100 (aria2 can report more completed than total while a length changes).
    static func percent(_ progress: DownloadProgress, complete: Bool) -> Double? {
        if complete { return 100 }
        guard progress.totalLength > 0 else { return nil }
        return min(100, (Double(progress.completedLength) / Double(progress.totalLength) * 1000).rounded() / 10)
    }

    /// Uploaded ÷ completed to three decimals, for torrents (a download with an info-hash) only;
    /// nil before anything was downloaded.
    static func ratio(_ progress: DownloadProgress, torrent: Bool) -> Double? {
        guard torrent, progress.completedLength > 0 else { return nil }
        return (Double(progress.uploadedLength) / Double(progress.completedLength) * 1000).rounded() / 1000
    }

    static func appendDate(_ date: Date?, to out: inout [UInt8]) {
        guard let date else { return appendNull(to: &out) }
        out.append(UInt8(ascii: "\""))
        RFC3339.append(date, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    static func appendBool(_ value: Bool, to out: inout [UInt8]) {
        out.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    static func appendNull(to out: inout [UInt8]) {
        out.append(contentsOf: "null".utf8)
    }
}

extension DownloadEncoding {
    /// What the stores keep with each download: its v1 JSON. Bump the version whenever
    /// `DownloadJSON`'s bytes change, so stored rows are encoded again.
    public static let v1JSON = DownloadEncoding(version: 4) { DownloadJSON.encode($0) }
}
