import Foundation
import Testing

@testable import Torrus

/// Runs `body` with a fresh directory (no trailing slash) and removes it afterwards, whatever happened.
private func withScratchDirectory(_ body: (String) throws -> Void) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("torrus-roots-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    try body(url.path)
}

private func makeDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

/// Why `targetPath` is refused when a download is created (resolved, then prepared), nil if it is not.
private func rejection(_ roots: DownloadRoots, _ targetPath: String?) -> String? {
    do {
        try roots.prepare(try roots.resolve(targetPath))
        return nil
    } catch let error as TorrusError {
        #expect(error.code == .invalidInput)
        return error.message
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

struct DownloadRootsTests {
    @Test func initCleansEachRoot() throws {
        let roots = try DownloadRoots(["/data//downloads/", "/srv/./media/tv/.."])
        #expect(roots.paths == ["/data/downloads", "/srv/media"])
    }

    @Test func initRejectsAnEmptyList() {
        #expect(throws: TorrusError.self) { try DownloadRoots([]) }
    }

    @Test(arguments: [["data/downloads"], ["/data", "relative"], [""], ["/data", "/x\u{0}"]])
    func initRejectsRelativeRoots(_ paths: [String]) {
        #expect(throws: TorrusError.self) { try DownloadRoots(paths) }
    }

    @Test(arguments: [nil, "", "   "] as [String?])
    func resolveDefaultsToTheFirstRoot(_ targetPath: String?) throws {
        let roots = try DownloadRoots(["/data/downloads", "/srv/media"])
        #expect(try roots.resolve(targetPath) == "/data/downloads")
    }

    @Test(arguments: ["relative/dir", "./dir", "../etc", "~/downloads", "data/downloads"])
    func resolveRejectsRelativePaths(_ targetPath: String) throws {
        let roots = try DownloadRoots(["/data/downloads"])
        #expect(rejection(roots, targetPath) == "targetPath must be an absolute path")
    }

    @Test func resolveAcceptsRootsAndPathsBelowThemAndReturnsThemCleaned() throws {
        try withScratchDirectory { base in
            let first = base + "/downloads"
            let second = base + "/media"
            try makeDirectory(first + "/tv")
            try makeDirectory(second)
            let roots = try DownloadRoots([first, second])
            #expect(try roots.resolve(first) == first)
            #expect(try roots.resolve(first + "/") == first)
            #expect(try roots.resolve(" \(first)/tv ") == first + "/tv")
            #expect(try roots.resolve(first + "//tv/./season1/") == first + "/tv/season1")
            #expect(try roots.resolve(first + "/tv/../movies/new") == first + "/movies/new")
            #expect(try roots.resolve(second + "/music") == second + "/music")
        }
    }

    @Test func resolveRejectsDotDotEscapesAndPrefixTricks() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            try makeDirectory(root)
            try makeDirectory(base + "/downloads-evil")
            let roots = try DownloadRoots([root])
            for hostile in [
                root + "/../../etc",
                root + "/..",
                root + "/tv/../../downloads-evil",
                base + "/downloads-evil",
                base + "/downloads-evil/x",
                base + "/download",
                "/etc",
                "/",
            ] {
                let message = try #require(rejection(roots, hostile), "accepted \(hostile)")
                #expect(message.contains(root), "message should name the allowed root: \(message)")
            }
        }
    }

    @Test func resolveErrorNamesEveryRoot() throws {
        let roots = try DownloadRoots(["/data/downloads", "/srv/media"])
        let message = try #require(rejection(roots, "/etc"))
        #expect(message.contains("/data/downloads"))
        #expect(message.contains("/srv/media"))
    }

    @Test(arguments: ["\n", "/x\n  dir=/etc", "/x\r", "\t/x", "/x\u{7F}", "/x\u{85}", "/x\u{9F}y"])
    func resolveRejectsControlCharactersAnywhere(_ targetPath: String) throws {
        let roots = try DownloadRoots(["/data/downloads"])
        let message = try #require(rejection(roots, "/data/downloads" + targetPath))
        #expect(message.contains("control characters"))
        #expect(!message.contains("\n") && !message.contains("\r"))
    }

    @Test func resolveRejectsASymlinkInsideARootPointingOutside() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            let outside = base + "/etc"
            try makeDirectory(root)
            try makeDirectory(outside + "/existing")
            try FileManager.default.createSymbolicLink(atPath: root + "/evil", withDestinationPath: outside)
            let roots = try DownloadRoots([root])
            for hostile in [root + "/evil", root + "/evil/", root + "/evil/existing", root + "/evil/new/deeper"] {
                let message = try #require(rejection(roots, hostile), "accepted \(hostile)")
                #expect(message.contains("symbolic link"))
                #expect(message.contains(root))
            }
            #expect(FileManager.default.fileExists(atPath: outside + "/existing"))
        }
    }

    @Test func resolveRejectsADanglingSymlinkPointingOutside() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            try makeDirectory(root)
            // Not there yet: aria2 would create it at the link's destination.
            try FileManager.default.createSymbolicLink(atPath: root + "/later", withDestinationPath: base + "/etc/new")
            let roots = try DownloadRoots([root])
            #expect(rejection(roots, root + "/later") != nil)
            #expect(rejection(roots, root + "/later/sub") != nil)
        }
    }

    @Test func resolveRejectsARelativeSymlinkClimbingOut() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            try makeDirectory(root + "/tv")
            try makeDirectory(base + "/secret")
            try FileManager.default.createSymbolicLink(atPath: root + "/tv/up", withDestinationPath: "../../secret")
            let roots = try DownloadRoots([root])
            #expect(rejection(roots, root + "/tv/up/x") != nil)
        }
    }

    /// Links below a root are never followed, not even ones that stay inside: the rule that
    /// holds at creation must hold at every later use, and a link can be re-pointed any time.
    @Test func aSymlinkBelowARootIsRefusedEvenWhenItStaysInside() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            let other = base + "/media"
            try makeDirectory(root + "/real")
            try makeDirectory(other)
            try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: root + "/real")
            try FileManager.default.createSymbolicLink(atPath: root + "/to-media", withDestinationPath: other)
            let roots = try DownloadRoots([root, other])
            #expect(try roots.resolve(root + "/alias/x") == root + "/alias/x")  // lexically fine
            #expect(rejection(roots, root + "/alias/x")?.contains("symbolic link ('alias')") == true)
            #expect(rejection(roots, root + "/to-media")?.contains("symbolic link") == true)
        }
    }

    @Test func prepareCreatesTheDirectoryAsARealOneWithMode0755() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            let roots = try DownloadRoots([root])
            let target = try roots.resolve(root + "/tv/show/season 1")
            try roots.prepare(target)
            try roots.prepare(target)  // idempotent
            let attributes = try FileManager.default.attributesOfItem(atPath: target)
            #expect(attributes[.type] as? FileAttributeType == .typeDirectory)
            #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o777 & ~0o022 } == 0o755 & ~0o022)
        }
    }

    @Test func prepareRefusesAFileWhereADirectoryShouldBe() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            try makeDirectory(root)
            _ = FileManager.default.createFile(atPath: root + "/tv", contents: Data("x".utf8))
            let roots = try DownloadRoots([root])
            #expect(rejection(roots, root + "/tv/show")?.contains("'tv' is not a directory") == true)
        }
    }

    /// The check at hand-over: a directory replaced by a link after the download was created.
    @Test func prepareRefusesADirectorySwappedForASymlinkLater() throws {
        try withScratchDirectory { base in
            let root = base + "/downloads"
            let outside = base + "/etc"
            try makeDirectory(outside)
            let roots = try DownloadRoots([root])
            let target = try roots.resolve(root + "/tv")
            try roots.prepare(target)
            try FileManager.default.removeItem(atPath: target)
            try FileManager.default.createSymbolicLink(atPath: target, withDestinationPath: outside)
            #expect(throws: TorrusError.self) { try roots.prepare(target) }
            #expect(try FileManager.default.contentsOfDirectory(atPath: outside).isEmpty)
        }
    }

    @Test func rootContainingPicksTheInnermostRoot() throws {
        let roots = try DownloadRoots(["/data", "/data/media"])
        #expect(roots.root(containing: "/data/media/tv") == "/data/media")
        #expect(roots.root(containing: "/data/x") == "/data")
        #expect(roots.root(containing: "/srv") == nil)
    }

    @Test func resolveAcceptsARootThatIsItselfASymlink() throws {
        try withScratchDirectory { base in
            let real = base + "/mnt/disk"
            let root = base + "/downloads"
            try makeDirectory(real)
            try FileManager.default.createSymbolicLink(atPath: root, withDestinationPath: real)
            let roots = try DownloadRoots([root])
            #expect(try roots.resolve(root + "/tv") == root + "/tv")
            #expect(rejection(roots, root + "/tv") == nil)
            #expect(FileManager.default.fileExists(atPath: real + "/tv"))
            #expect(rejection(roots, real + "/tv") != nil)  // lexically outside the configured root
        }
    }

    @Test func resolveAcceptsPathsUnderARootThatDoesNotExistYet() throws {
        try withScratchDirectory { base in
            let roots = try DownloadRoots([base + "/not/yet"])
            #expect(try roots.resolve(base + "/not/yet/a") == base + "/not/yet/a")
            #expect(rejection(roots, base + "/not/yet/a") == nil)
            #expect(rejection(roots, base + "/not/other") != nil)
        }
    }
}
