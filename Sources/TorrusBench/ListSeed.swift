import Foundation
import Torrus

/// The store of the list round: `count` downloads written straight into a SQLite store (as
/// torrusd would have written them, through `SQLiteDownloadRepo.insert`), with a mix that looks like
/// a real collection — most finished, some paused or failed, a few still running; 20
/// categories (one download in seven has none); 0–3 tags each out of 50; names of a few words;
/// one to four files. Deterministic: the same `count` gives the same store every run.
///
/// Statuses are written as they are and stay so: the noop downloader only simulates downloads
/// it was asked to start, and torrusd resyncs only with aria2, so nothing moves the seeded
/// Queued and Active downloads while the round runs (the round checks the counts afterwards).
struct ListSeed {
    static let categories = [
        "movies", "tv", "music", "software", "iso", "books", "games", "podcasts", "backups", "datasets",
        "images", "linux", "anime", "documentaries", "courses", "audiobooks", "comics", "firmware", "mods", "misc",
    ]
    static let tags = [
        "hd", "4k", "flac", "mp3", "favorite", "archive", "seed", "private", "public", "watch-later",
        "kids", "work", "todo", "done", "family", "y2023", "y2024", "y2025", "remux", "webrip",
        "bluray", "x265", "x264", "hdr", "dolby", "lossless", "ebook", "pdf", "epub", "scan",
        "english", "german", "french", "japanese", "subs", "dub", "season-pack", "single", "complete", "incomplete",
        "rare", "backup", "mirror", "nightly", "stable", "beta", "arm64", "amd64", "source", "keep",
    ]
    static let words = [
        "silent", "harbor", "northern", "lights", "broken", "mirror", "river", "stone", "midnight", "garden",
        "iron", "crown", "hollow", "echo", "winter", "fire", "glass", "empire", "shadow", "valley",
        "ocean", "drift", "golden", "hour", "paper", "moon", "last", "signal", "wild", "orchard",
        "velvet", "storm", "copper", "sky", "distant", "shore", "lost", "city", "quiet", "machine",
        "burning", "bridge", "crimson", "tide", "hidden", "path", "electric", "dream", "frozen", "lake",
        "desert", "rose", "falling", "star", "ancient", "forest", "bright", "future", "dark", "matter",
        "ubuntu", "debian", "fedora", "arch", "server", "desktop", "kernel", "toolkit", "runtime", "sdk",
        "lecture", "series", "volume", "chapter", "complete", "collection", "live", "concert", "session", "remaster",
        "atlas", "codex", "manual", "guide", "primer", "handbook", "journal", "archive", "notes", "letters",
        "alpha", "beta", "gamma", "delta", "omega", "nova", "zenith", "apex", "vertex", "prism",
        "amber", "onyx", "jade", "cobalt", "scarlet", "ivory", "indigo", "saffron", "umber", "teal",
        "falcon", "raven", "wolf", "tiger", "otter", "heron", "lynx", "bison", "cobra", "mantis",
    ]
    static let suffixes = [
        ".1080p.WEB-DL.mkv", ".2160p.BluRay.x265.mkv", ".720p.HDTV.mp4", "-amd64.iso", "-arm64.img.xz", ".tar.gz", ".zip",
        " (FLAC)", " [MP3 320]", ".epub", ".pdf", ".S01.Complete", ".S02E05.1080p.mkv", "-src.tar.xz", ".7z",
    ]

    /// What the seed holds, for the report and for choosing the filters.
    struct Summary: Sendable {
        var count = 0
        var byStatus: [DownloadStatus: Int] = [:]
        var byCategory: [String: Int] = [:]
        var byTag: [String: Int] = [:]
        /// Downloads whose name or source contains the round's `q` (ASCII case folded).
        var textMatches = 0
        /// Downloads whose name or source contains `rareText`.
        var rareTextMatches = 0
        var seconds = 0.0
    }

    let count: Int
    /// The `q` of the round: a word of ~2 % of the names, typed in lower case (names capitalise it).
    static let text = "harbor"
    /// A `q` of two words as names join them: a few in 100,000 (the trigram index's case).
    static let rareText = "harbor.crown"
    /// A `q` no download has: before the index, a page of it read the whole list.
    static let absentText = "no-such-name"
    static let category = "linux"
    static let tag = "remux"

    /// Writes the downloads into a new store at `path`, closes it, and tells what it holds.
    func write(path: String) async throws -> Summary {
        let store = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
        var summary = Summary(count: count)
        let started = ContinuousClock.now
        var random = SplitMix64(seed: UInt64(count))
        // A year of downloads, oldest first, a few a minute apart: the list's createdAt order.
        let end = Date().millisecondsSince1970
        let span: Int64 = 365 * 24 * 3600 * 1000
        let text = Self.text
        do {
            for index in 0..<count {
                let download = make(index, random: &random, createdAt: end - span + span * Int64(index) / Int64(max(count, 1)))
                _ = try await store.insert(download)
                summary.byStatus[download.status, default: 0] += 1
                if let category = download.category { summary.byCategory[category, default: 0] += 1 }
                for tag in download.tags { summary.byTag[tag, default: 0] += 1 }
                let name = (download.name ?? "").asciiLowercasedForBench
                let source = download.source.asciiLowercasedForBench
                if name.contains(text) || source.contains(text) { summary.textMatches += 1 }
                if name.contains(Self.rareText) || source.contains(Self.rareText) { summary.rareTextMatches += 1 }
                if index % 10_000 == 9_999 {
                    try Interrupt.check()
                    Output.note("list: seeded \(index + 1) of \(count)")
                }
            }
            try store.close()
        } catch {
            try? store.close()
            throw error
        }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }

    private func make(_ index: Int, random: inout SplitMix64, createdAt: Int64) -> Download {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

        let wordCount = 2 + Int(random.next() % 3)
        let separator = pick([".", " ", "-", "_"])
        let stem = (0..<wordCount).map { _ in pick(Self.words).capitalized }.joined(separator: separator)
        let name = stem + pick(Self.suffixes)
        let target = "/srv/downloads/" + (chance(50) ? "complete" : "incoming")
        let magnet = chance(40)
        let hash = (0..<5).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: random.next())) }.joined()
        let encodedName = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "download"
        let source =
            magnet
            ? "magnet:?xt=urn:btih:\(hash)&dn=\(encodedName)"
            : pick(["https://releases.example.org/pub/", "http://mirror.example.net/files/", "https://cdn.example.com/d/"])
                + "\(index)/\(encodedName)"
        let roll = random.next() % 100
        let status: DownloadStatus =
            switch roll {
            case 0..<58: .complete
            case 58..<73: .paused
            case 73..<81: .failed
            case 81..<86: .cancelled
            case 86..<94: .active
            default: .queued
            }
        let desired: DesiredStatus =
            switch status {
            case .paused: .paused
            case .cancelled: .cancelled
            case .active: .active
            default: .queued
            }
        let fileCount = magnet ? 1 + Int(random.next() % 4) : 1
        let total = Int64(1 + random.next() % 8000) << 20
        let files = (0..<fileCount).map { file in
            let path = fileCount == 1 ? "\(target)/\(name)" : "\(target)/\(stem)/\(stem) part \(file + 1)\(pick(Self.suffixes))"
            let length = total / Int64(fileCount)
            return DownloadFile(path: path, length: length, completed: status == .complete ? length : length / 3, index: file + 1)
        }
        let completed = files.reduce(0) { $0 + $1.completed }
        let tagCount = Int(random.next() % 4)
        var tags: [String] = []
        while tags.count < tagCount {
            let tag = pick(Self.tags)
            if !tags.contains(tag) { tags.append(tag) }
        }
        let created = Date(millisecondsSince1970: createdAt + Int64(random.next() % 60_000))
        return Download(
            gid: GID.random(),
            source: source,
            targetPath: target,
            fingerprint: "bench-list-\(index)",
            name: name,
            files: files,
            status: status,
            desiredStatus: desired,
            progress: DownloadProgress(
                completedLength: completed,
                totalLength: total,
                downloadSpeed: status == .active ? Int64(random.next() % 5_000_000) : 0,
                uploadSpeed: status == .active || status == .complete ? Int64(random.next() % 200_000) : 0
            ),
            error: status == .failed ? DownloadFailure(code: 3, message: "Resource not found (HTTP 404).") : nil,
            infoHash: magnet ? hash : nil,
            category: chance(86) ? pick(Self.categories) : nil,
            tags: tags,
            createdAt: created,
            updatedAt: created.addingTimeInterval(Double(random.next() % 86_400))
        )
    }
}

/// A small, fast, seedable generator (Steele, Lea, Flood 2014): the seed's data and the upload
/// round's torrent pieces are the same every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    /// Lower case for ASCII letters only, as SQLite's `lower()` and the store's `q` filter.
    var asciiLowercasedForBench: String {
        String(decoding: utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
