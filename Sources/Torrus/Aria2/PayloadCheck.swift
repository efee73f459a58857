import Foundation

/// Before a download aria2 has lost is added again: is its payload already on disk? aria2 resumes
/// a partial file only with its `.aria2` control file; a file without one is either the finished
/// payload or something Torrus must not overwrite or duplicate.
enum PayloadCheck: Equatable {
    /// Nothing there, or a partial file with its control file: adding again is safe.
    case addAgain
    /// Every file is there, at the length Torrus last saw, without control files: it finished.
    case complete
    /// Files are there without control files but do not match: refuse, with the reason.
    case conflict(String)

    static func of(_ download: Download, fileManager: FileManager = .default) -> PayloadCheck {
        var expected: [(path: String, length: Int64)] = download.files.map { ($0.path, $0.length) }
        if expected.isEmpty, let name = download.name {
            expected = [(download.targetPath + "/" + name, download.progress.totalLength)]
        }
        guard !expected.isEmpty else { return .addAgain }
        var controlFiles = expected.map { $0.path + ".aria2" }
        if let name = download.name { controlFiles.append(download.targetPath + "/" + name + ".aria2") }
        if controlFiles.contains(where: { fileManager.fileExists(atPath: $0) }) { return .addAgain }

        let sizes = expected.map { file in
            (try? fileManager.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value
        }
        if sizes.allSatisfy({ $0 == nil }) { return .addAgain }
        let total = expected.reduce(Int64(0)) { $0 + $1.length }
        if total > 0, zip(expected, sizes).allSatisfy({ $0.length == $1 }) { return .complete }
        let found = zip(expected, sizes).first { $0.length != $1 }.map { "\($0.path) (\($1.map(String.init) ?? "missing") of \($0.length) bytes)" }
        return .conflict(
            "The payload is on disk without its .aria2 control file and does not match what Torrus last saw: "
                + (found ?? "unknown size") + ". Torrus does not download a second copy; delete the file or the download."
        )
    }
}
