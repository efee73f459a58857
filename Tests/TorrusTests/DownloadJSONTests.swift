import Foundation
import Testing

@testable import Torrus

/// `DownloadJSON` writes the bytes `JSONEncoder` wrote for the v1 shape (sorted keys, `/`
/// unescaped), so clients see no difference; `RFC3339` formats the whole milliseconds Torrus keeps.
struct DownloadJSONTests {
    /// The v1 shape as it was encoded before `DownloadJSON`: the reference the bytes must match.
    private struct Reference: Encodable {
        let download: Download

        private enum CodingKeys: String, CodingKey {
            case id, gid, source, targetPath, name, files, status, desiredStatus, createdAt, updatedAt, progress, error
            case mirrors, options, category, tags, completedAt, infoHash, seeding, upload
        }

        /// The progress with its derived figures, computed here on their own.
        private struct Progress: Encodable {
            let download: Download

            private enum CodingKeys: String, CodingKey {
                case completedLength, totalLength, downloadSpeed, uploadSpeed, uploadedLength, connections, numSeeders
                case eta, percent, ratio
            }

            func encode(to encoder: any Encoder) throws {
                let progress = download.progress
                let complete = download.status == .complete
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(progress.completedLength, forKey: .completedLength)
                try container.encode(progress.totalLength, forKey: .totalLength)
                try container.encode(progress.downloadSpeed, forKey: .downloadSpeed)
                try container.encode(progress.uploadSpeed, forKey: .uploadSpeed)
                try container.encode(progress.uploadedLength, forKey: .uploadedLength)
                try container.encode(progress.connections, forKey: .connections)
                try container.encode(progress.numSeeders, forKey: .numSeeders)
                var eta: Int64?
                if complete {
                    eta = 0
                } else if progress.downloadSpeed > 0, progress.totalLength > 0 {
                    let (whole, part) = max(0, progress.totalLength - progress.completedLength).quotientAndRemainder(
                        dividingBy: progress.downloadSpeed
                    )
                    eta = part == 0 ? whole : whole + 1
                }
                try container.encode(eta, forKey: .eta)
                var percent: Double?
                if complete {
                    percent = 100
                } else if progress.totalLength > 0 {
                    percent = min(
                        100,
                        (Double(progress.completedLength) / Double(progress.totalLength) * 1000).rounded(.toNearestOrAwayFromZero) / 10
                    )
                }
                try container.encode(percent, forKey: .percent)
                var ratio: Double?
                if download.infoHash != nil, progress.completedLength > 0 {
                    ratio = (Double(progress.uploadedLength) / Double(progress.completedLength) * 1000).rounded(.toNearestOrAwayFromZero) / 1000
                }
                try container.encode(ratio, forKey: .ratio)
            }
        }

        /// What was set, headers by name.
        private struct Options: Encodable {
            let options: DownloadOptions

            private enum CodingKeys: String, CodingKey {
                case out, headers, maxDownloadLimit, connections, checksum, selectFiles, seedRatio, seedTime
            }

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encodeIfPresent(options.out, forKey: .out)
                if !options.headers.isEmpty {
                    try container.encode(options.headers.map { String($0.split(separator: ":")[0]) }, forKey: .headers)
                }
                try container.encodeIfPresent(options.maxDownloadLimit, forKey: .maxDownloadLimit)
                try container.encodeIfPresent(options.connections, forKey: .connections)
                try container.encodeIfPresent(options.checksum, forKey: .checksum)
                try container.encodeIfPresent(options.selectFiles, forKey: .selectFiles)
                try container.encodeIfPresent(options.seedRatio, forKey: .seedRatio)
                try container.encodeIfPresent(options.seedTime, forKey: .seedTime)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(download.id.lowercasedString, forKey: .id)
            try container.encode(download.gid, forKey: .gid)
            try container.encode(download.source, forKey: .source)
            try container.encode(download.targetPath, forKey: .targetPath)
            try container.encode(download.name, forKey: .name)
            try container.encode(download.files, forKey: .files)
            try container.encode(download.status, forKey: .status)
            try container.encode(download.desiredStatus, forKey: .desiredStatus)
            try container.encode(RFC3339.string(download.createdAt), forKey: .createdAt)
            try container.encode(RFC3339.string(download.updatedAt), forKey: .updatedAt)
            try container.encode(Progress(download: download), forKey: .progress)
            try container.encode(download.completedAt.map(RFC3339.string), forKey: .completedAt)
            try container.encode(download.infoHash, forKey: .infoHash)
            try container.encode(download.progress.seeding, forKey: .seeding)
            if download.status == .failed { try container.encodeIfPresent(download.error, forKey: .error) }
            try container.encode(download.mirrors, forKey: .mirrors)
            try container.encode(Options(options: download.options), forKey: .options)
            try container.encode(download.category, forKey: .category)
            try container.encode(download.tags, forKey: .tags)
            try container.encode(download.upload, forKey: .upload)
        }
    }

    private static func reference(_ download: Download) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(Reference(download: download)))
    }

    private static let awkward = [
        "plain", "", "a\"quote\"", "back\\slash", "/slashes/", "tab\tnew\nline\rcr", "\u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}", "del\u{7f}",
        "c1\u{85}\u{9b}", "é ü ß", "😀 emoji", "\u{2028}\u{2029}", "\u{FEFF}bom", "日本語のファイル名.mkv",
    ]

    private static func download(_ text: String, status: DownloadStatus, index: Int) -> Download {
        Download(
            gid: index % 3 == 0 ? nil : .random(),
            source: "https://example.com/\(text)?q=\(index)",
            targetPath: "/srv/downloads/\(text)",
            fingerprint: "f",
            name: index % 2 == 0 ? nil : text,
            files: (0..<(index % 4)).map {
                DownloadFile(
                    path: "/srv/downloads/\(text)/\($0)",
                    length: Int64($0) << 33,
                    completed: Int64($0),
                    index: $0 + 1 + index % 2,
                    selected: ($0 + index) % 3 != 0
                )
            },
            status: status,
            desiredStatus: DesiredStatus.allCases[index % DesiredStatus.allCases.count],
            progress: DownloadProgress(
                completedLength: Int64(index) * 1_000_003,
                totalLength: [Int64.max, 0, 7 * 1_000_003, 100_000_000, Int64(index) * 1_000_003][index % 5],
                downloadSpeed: [0, 1, 3, 65_536][index % 4],
                uploadSpeed: -1,
                uploadedLength: Int64(index * index) * 333_331,
                connections: Int64(index % 5),
                numSeeders: index % 2 == 0 ? nil : Int64(index % 7),
                seeding: index % 3 == 1
            ),
            error: DownloadFailure(code: index, message: "failed: \(text)"),
            infoHash: index % 2 == 0 ? nil : String(repeating: "0123456789abcdef", count: 3).prefix(40).lowercased(),
            mirrors: index % 2 == 0 ? [] : ["ftp://mirror.example.com/\(text)"],
            options: options(text, index: index),
            category: index % 3 == 0 ? nil : text,
            tags: (0..<(index % 3)).map { "\(text)-\($0)" },
            upload: index % 4 == 1 ? DownloadUpload(kind: .torrent, size: index * 1000, sha256: String(repeating: "ab", count: 32)) : nil,
            createdAt: Date(millisecondsSince1970: 1_764_600_000_000 + Int64(index) * 7_919),
            updatedAt: Date(millisecondsSince1970: 1_764_600_000_000 + Int64(index) * 104_729),
            completedAt: status == .complete ? Date(millisecondsSince1970: 1_764_600_000_000 + Int64(index) * 99_991) : nil
        )
    }

    /// Every option set on some downloads, none on others.
    private static func options(_ text: String, index: Int) -> DownloadOptions {
        var options = DownloadOptions()
        guard index % 4 != 0 else { return options }
        options.out = text
        options.headers = index % 2 == 0 ? ["Cookie: secret=\(text)"] : ["X-A: 1", "Authorization: Bearer x"]
        options.maxDownloadLimit = Int64(index) * 1024
        options.connections = index % 16 + 1
        options.checksum = index % 3 == 0 ? nil : "sha-256=" + String(repeating: "ab", count: 32)
        options.selectFiles = index % 5 == 0 ? nil : [1, index + 2]
        options.seedRatio = [0.0, 1.5, 2.0, 0.25][index % 4]
        options.seedTime = index % 2 == 0 ? nil : index * 10
        return options
    }

    @Test func theBytesAreJSONEncodersForEveryStatusAndAwkwardStrings() throws {
        var index = 0
        for text in Self.awkward {
            for status in DownloadStatus.allCases {
                let download = Self.download(text, status: status, index: index)
                #expect(DownloadJSON.encode(download) == (try Self.reference(download)), "\(text) \(status)")
                index += 1
            }
        }
    }

    @Test func theErrorAppearsOnlyOnAFailedDownloadAndItsCodeIsANumber() throws {
        let failed = try #require(
            try JSONSerialization.jsonObject(with: Data(DownloadJSON.encode(Self.download("x", status: .failed, index: 5)))) as? [String: Any]
        )
        #expect((failed["error"] as? [String: Any])?["code"] as? Int == 5)
        let active = try #require(
            try JSONSerialization.jsonObject(with: Data(DownloadJSON.encode(Self.download("x", status: .active, index: 5)))) as? [String: Any]
        )
        #expect(active["error"] == nil)
    }

    @Test func timestampsAreTheStoredMillisecondsInUTC() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var generator = SystemRandomNumberGenerator()
        let samples: [Int64] =
            [0, 1, 999, 1000, 86_399_999, 86_400_000, -1, -86_400_001, 951_782_400_000, 4_102_444_799_999, 1_709_164_800_123]
            + (0..<20_000).map { _ in Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator) }
        for milliseconds in samples {
            let date = Date(millisecondsSince1970: milliseconds)
            let seconds = Int64((Double(milliseconds) / 1000).rounded(.down))
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(seconds)))
            let fraction = milliseconds - seconds * 1000
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                parts.year!,
                parts.month!,
                parts.day!,
                parts.hour!,
                parts.minute!,
                parts.second!,
                Int(fraction)
            )
            #expect(RFC3339.string(date) == expected, "\(milliseconds)")
        }
    }
}

/// Whole milliseconds survive the trip through `Date` exactly: stored timestamps never creep.
@Test func millisecondsRoundTripThroughDate() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<200_000 {
        let milliseconds = Int64.random(in: -2_208_988_800_000...4_102_444_800_000, using: &generator)
        #expect(Date(millisecondsSince1970: milliseconds).millisecondsSince1970 == milliseconds)
    }
}
