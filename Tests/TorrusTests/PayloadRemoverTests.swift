import Foundation
import Testing

@testable import Torrus

/// A scratch tree: `base/target` is the download directory, `base/outside` holds victims that must survive.
private struct Scratch {
    let base: String
    var target: String { base + "/target" }
    var outside: String { base + "/outside" }

    func write(_ path: String, _ contents: String = "x") throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
    }

    func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func symlink(_ path: String, to destination: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: destination)
    }

    /// lstat-based, so a symlink counts as present even when its destination is gone.
    func exists(_ path: String) -> Bool {
        (try? FileManager.default.attributesOfItem(atPath: path)) != nil
    }
}

private func withScratch(_ body: (Scratch) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("torrus-remover-\(UUID().uuidString)")
    let scratch = Scratch(base: url.path)
    try scratch.makeDirectory(scratch.target)
    try scratch.makeDirectory(scratch.outside)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(scratch)
}

private func withScratch(_ body: (Scratch) async throws -> Void) async throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("torrus-remover-\(UUID().uuidString)")
    let scratch = Scratch(base: url.path)
    try scratch.makeDirectory(scratch.target)
    try scratch.makeDirectory(scratch.outside)
    defer { try? FileManager.default.removeItem(at: url) }
    try await body(scratch)
}

struct PayloadRemoverTests {
    /// What DELETE requests use: the same walk, on NIO's thread pool, even for a cancelled caller.
    @Test func theAsyncVariantRemovesWhatTheBlockingOneDoes() async throws {
        try await withScratch { s in
            let files = [s.target + "/Show/ep1.mkv", s.outside + "/victim.txt"]
            func plant() throws {
                try s.write(s.target + "/Show/ep1.mkv")
                try s.write(s.target + "/Show/ep1.mkv.aria2")
                try s.write(s.target + "/keep.bin")
                try s.write(s.outside + "/victim.txt")
            }
            try plant()
            let blocking = { PayloadRemover().remove(files: files, name: "Show", in: s.target) }()
            #expect(Set(blocking.removed) == [files[0], files[0] + ".aria2", s.target + "/Show"])
            #expect(blocking.skipped == [files[1], files[1] + ".aria2"])

            try plant()
            let report = await PayloadRemover().remove(files: files, name: "Show", in: s.target)
            #expect(report == blocking)

            try plant()
            let cancelled = await Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await PayloadRemover().remove(files: files, name: "Show", in: s.target)
            }.value
            #expect(cancelled == blocking)
            #expect(s.exists(s.target + "/keep.bin") && s.exists(s.outside + "/victim.txt"))
        }
    }

    @Test func removesASingleFileAndItsControlFile() throws {
        try withScratch { s in
            let file = s.target + "/ubuntu.iso"
            try s.write(file)
            try s.write(file + ".aria2")
            try s.write(s.target + "/unrelated.iso")

            let report = PayloadRemover().remove(files: [file], name: "ubuntu.iso", in: s.target)

            #expect(!s.exists(file))
            #expect(!s.exists(file + ".aria2"))
            #expect(s.exists(s.target + "/unrelated.iso"))
            #expect(s.exists(s.target))
            #expect(Set(report.removed) == [file, file + ".aria2"])
            #expect(report.skipped.isEmpty)
        }
    }

    @Test func removesControlFilesEvenWhenThePayloadIsGone() throws {
        try withScratch { s in
            let file = s.target + "/partial.bin"
            try s.write(file + ".aria2")

            let report = PayloadRemover().remove(files: [file], name: nil, in: s.target)

            #expect(!s.exists(file + ".aria2"))
            #expect(report == PayloadRemover.Report(removed: [file + ".aria2"], skipped: []))
        }
    }

    @Test func removesAMultiFileTorrentAndPrunesItsEmptiedDirectories() throws {
        try withScratch { s in
            let top = s.target + "/Show"
            let files = [top + "/S01/e01.mkv", top + "/S01/e02.mkv", top + "/Extras/deep/sample.mkv"]
            for file in files { try s.write(file) }
            try s.write(top + ".aria2")
            try s.makeDirectory(s.target + "/preexisting-empty")

            let report = PayloadRemover().remove(files: files, name: "Show", in: s.target)

            #expect(!s.exists(top))
            #expect(!s.exists(top + ".aria2"))
            #expect(s.exists(s.target))
            #expect(s.exists(s.target + "/preexisting-empty"))  // not on the way from a deleted file to targetPath
            #expect(
                Set(report.removed)
                    == Set(
                        files + [
                            top + ".aria2", top + "/S01", top + "/Extras/deep", top + "/Extras", top,
                        ]
                    )
            )
            #expect(report.skipped.isEmpty)
        }
    }

    @Test func keepsDirectoriesThatStillHoldOtherFiles() throws {
        try withScratch { s in
            let top = s.target + "/Album"
            let files = [top + "/cd1/a.flac", top + "/cd2/b.flac"]
            for file in files { try s.write(file) }
            try s.write(top + "/cd2/cover.jpg")  // not part of the download

            let report = PayloadRemover().remove(files: files, name: "Album", in: s.target)

            #expect(!s.exists(files[0]))
            #expect(!s.exists(files[1]))
            #expect(!s.exists(top + "/cd1"))
            #expect(s.exists(top + "/cd2/cover.jpg"))
            #expect(s.exists(top + "/cd2"))
            #expect(s.exists(top))
            #expect(report.skipped == [top])  // the named directory was refused because it is not empty
        }
    }

    @Test func pruningStopsAtTheFirstNonEmptyDirectory() throws {
        try withScratch { s in
            let file = s.target + "/a/b/c/file.bin"
            try s.write(file)
            try s.write(s.target + "/a/keep.txt")

            let report = PayloadRemover().remove(files: [file], name: nil, in: s.target)

            #expect(!s.exists(s.target + "/a/b"))
            #expect(s.exists(s.target + "/a/keep.txt"))
            #expect(Set(report.removed) == [file, s.target + "/a/b/c", s.target + "/a/b"])
        }
    }

    @Test func neverRemovesTargetPathItself() throws {
        try withScratch { s in
            // Empty, so an rmdir on it would succeed if it were ever attempted.
            let report = PayloadRemover().remove(
                files: [s.target, s.target + "/", s.target + "/.", s.target + "//"],
                name: ".",
                in: s.target
            )

            #expect(s.exists(s.target))
            #expect(report.removed.isEmpty)
            #expect(report.skipped.contains(s.target))
        }
    }

    @Test func neverPrunesTargetPathEvenWhenItBecomesEmpty() throws {
        try withScratch { s in
            let file = s.target + "/only.bin"
            try s.write(file)

            _ = PayloadRemover().remove(files: [file], name: "only.bin", in: s.target + "/")

            #expect(!s.exists(file))
            #expect(s.exists(s.target))
        }
    }

    @Test func refusesFilesOutsideTargetPath() throws {
        try withScratch { s in
            let victim = s.outside + "/passwd"
            try s.write(victim, "root:x:0:0")
            try s.write(victim + ".aria2")
            let hostile = [
                victim,
                s.target + "/../outside/passwd",
                s.target + "/sub/../../outside/passwd",
                s.target + "/./../outside/passwd",
            ]

            let report = PayloadRemover().remove(files: hostile, name: nil, in: s.target)

            #expect(s.exists(victim))
            #expect(s.exists(victim + ".aria2"))
            #expect(report.removed.isEmpty)
            #expect(Set(report.skipped).isSuperset(of: hostile))
        }
    }

    @Test func refusesThePrefixTrick() throws {
        try withScratch { s in
            let evil = s.target + "-evil/file.bin"
            try s.write(evil)

            let report = PayloadRemover().remove(files: [evil], name: "../target-evil", in: s.target)

            #expect(s.exists(evil))
            #expect(report.removed.isEmpty)
            #expect(report.skipped.contains(evil))
        }
    }

    @Test func refusesAFileOrNameCalledDotDot() throws {
        try withScratch { s in
            let victim = s.base + "/victim.txt"
            try s.write(victim)

            let report = PayloadRemover().remove(
                files: [s.target + "/..", s.target + "/../victim.txt"],
                name: "..",
                in: s.target
            )

            #expect(s.exists(victim))
            #expect(s.exists(s.base))
            #expect(s.exists(s.target))
            #expect(report.removed.isEmpty)
            #expect(report.skipped.contains(s.target + "/.."))
            #expect(report.skipped.contains(s.target + "/../victim.txt"))
        }
    }

    @Test func refusesDotDotEvenWhenItWouldLandInsideTargetPath() throws {
        try withScratch { s in
            // Lexically this is target/keep.bin, but with "sub" a symlink the kernel would resolve "sub/.." elsewhere.
            let file = s.target + "/keep.bin"
            try s.write(file)
            try s.makeDirectory(s.target + "/sub")

            let report = PayloadRemover().remove(files: [s.target + "/sub/../keep.bin"], name: nil, in: s.target)

            #expect(s.exists(file))
            #expect(report.skipped.contains(s.target + "/sub/../keep.bin"))
        }
    }

    @Test func neverDescendsThroughASymlinkedDirectory() throws {
        try withScratch { s in
            let victim = s.outside + "/victim.txt"
            try s.write(victim)
            try s.write(victim + ".aria2")
            let link = s.target + "/link"
            try s.symlink(link, to: s.outside)

            let report = PayloadRemover().remove(files: [link + "/victim.txt"], name: "link", in: s.target)

            #expect(s.exists(victim))
            #expect(s.exists(victim + ".aria2"))
            #expect(s.exists(s.outside))
            #expect(s.exists(link))  // a symlink candidate is skipped, not unlinked
            #expect(report.removed.isEmpty)
            #expect(Set(report.skipped) == [link + "/victim.txt", link + "/victim.txt.aria2", link])
        }
    }

    /// The download's own directory (or a parent of it) replaced by a link after the download was
    /// created: the walk starts at the download root, so nothing outside is touched.
    @Test(arguments: ["tv", "tv/show"])
    func aTargetPathSwappedForASymlinkDeletesNothingOutside(_ swapped: String) throws {
        try withScratch { s in
            let targetPath = s.target + "/tv/show"
            try s.makeDirectory(s.outside + "/show")
            let victims = [s.outside + "/ep1.mkv", s.outside + "/show/ep1.mkv"]
            for victim in victims {
                try s.write(victim)
                try s.write(victim + ".aria2")
            }
            // "tv" → outside (so tv/show is outside/show); "tv/show" → outside.
            if swapped == "tv/show" { try s.makeDirectory(s.target + "/tv") }
            try s.symlink(s.target + "/" + swapped, to: s.outside)

            let report = PayloadRemover().remove(files: [targetPath + "/ep1.mkv"], name: "ep1.mkv", in: targetPath, root: s.target)

            for victim in victims {
                #expect(s.exists(victim))
                #expect(s.exists(victim + ".aria2"))
            }
            #expect(report.removed.isEmpty)
            #expect(!report.skipped.isEmpty)
        }
    }

    @Test func withTheRootGivenARealTargetPathIsEmptiedAsBefore() throws {
        try withScratch { s in
            let targetPath = s.target + "/tv/show"
            let file = targetPath + "/ep1.mkv"
            try s.write(file)
            try s.write(file + ".aria2")
            let report = PayloadRemover().remove(files: [file], name: "ep1.mkv", in: targetPath, root: s.target)
            #expect(!s.exists(file) && !s.exists(file + ".aria2"))
            #expect(s.exists(targetPath))
            #expect(Set(report.removed) == [file, file + ".aria2"])
        }
    }

    @Test func aTargetPathOutsideTheGivenRootRemovesNothing() throws {
        try withScratch { s in
            let file = s.outside + "/x.bin"
            try s.write(file)
            let report = PayloadRemover().remove(files: [file], name: "x.bin", in: s.outside, root: s.target)
            #expect(s.exists(file))
            #expect(report.removed.isEmpty)
        }
    }

    @Test func neverDescendsThroughASymlinkDeeperDown() throws {
        try withScratch { s in
            let victim = s.outside + "/nested/victim.txt"
            try s.write(victim)
            try s.makeDirectory(s.target + "/Show")
            try s.symlink(s.target + "/Show/nested", to: s.outside + "/nested")
            try s.write(s.target + "/Show/real.mkv")

            let files = [s.target + "/Show/real.mkv", s.target + "/Show/nested/victim.txt"]
            let report = PayloadRemover().remove(files: files, name: "Show", in: s.target)

            #expect(s.exists(victim))
            #expect(!s.exists(s.target + "/Show/real.mkv"))
            #expect(s.exists(s.target + "/Show/nested"))
            #expect(s.exists(s.target + "/Show"))  // still holds the symlink
            #expect(report.skipped.contains(s.target + "/Show/nested/victim.txt"))
            #expect(report.skipped.contains(s.target + "/Show"))
        }
    }

    @Test func skipsACandidateThatIsItselfASymlink() throws {
        try withScratch { s in
            let victim = s.outside + "/victim.txt"
            try s.write(victim)
            let file = s.target + "/movie.mkv"
            try s.symlink(file, to: victim)
            try s.symlink(file + ".aria2", to: victim)

            let report = PayloadRemover().remove(files: [file], name: nil, in: s.target)

            #expect(s.exists(victim))
            #expect(s.exists(file))
            #expect(s.exists(file + ".aria2"))
            #expect(report.removed.isEmpty)
            #expect(Set(report.skipped) == [file, file + ".aria2"])
        }
    }

    @Test func missingFilesAreNeitherRemovedNorSkipped() throws {
        try withScratch { s in
            let report = PayloadRemover().remove(
                files: [s.target + "/gone.bin", s.target + "/missing-dir/gone.bin", ""],
                name: "gone.bin",
                in: s.target
            )

            #expect(report == PayloadRemover.Report(removed: [], skipped: []))
            #expect(s.exists(s.target))
        }
    }

    @Test func relativeFilePathsAreSkipped() throws {
        try withScratch { s in
            let file = s.target + "/a.bin"
            try s.write(file)

            let report = PayloadRemover().remove(files: ["a.bin", "target/a.bin"], name: nil, in: s.target)

            #expect(s.exists(file))
            #expect(report.removed.isEmpty)
            #expect(report.skipped.contains("a.bin"))
        }
    }

    @Test func aRelativeTargetPathRemovesNothing() throws {
        try withScratch { s in
            let file = s.target + "/a.bin"
            try s.write(file)

            let report = PayloadRemover().remove(files: [file], name: "a.bin", in: "relative/target")

            #expect(s.exists(file))
            #expect(report.removed.isEmpty)
            #expect(report.skipped.contains(file))
        }
    }

    @Test func acceptsUncleanButInsidePaths() throws {
        try withScratch { s in
            let file = s.target + "/dir/a.bin"
            try s.write(file)

            let report = PayloadRemover().remove(files: [s.target + "//dir/./a.bin"], name: nil, in: s.target + "/./")

            #expect(!s.exists(file))
            #expect(!s.exists(s.target + "/dir"))
            #expect(s.exists(s.target))
            #expect(Set(report.removed) == [file, s.target + "/dir"])
        }
    }

    @Test func aFileListedTwiceIsReportedOnce() throws {
        try withScratch { s in
            let file = s.target + "/a.bin"
            try s.write(file)

            let report = PayloadRemover().remove(files: [file, s.target + "//a.bin"], name: "a.bin", in: s.target)

            #expect(!s.exists(file))
            #expect(report.removed == [file])
        }
    }
}
