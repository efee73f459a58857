import Testing

@testable import Torrus

struct PathRulesTests {
    @Test(arguments: [
        ("/", "/"),
        ("//", "/"),
        ("///a///b///", "/a/b"),
        ("/a/b/", "/a/b"),
        ("/a/./b/.", "/a/b"),
        ("/a/b/..", "/a"),
        ("/a/../b", "/b"),
        ("/..", "/"),
        ("/../../..", "/"),
        ("/../etc", "/etc"),
        ("/data/downloads/../../etc", "/etc"),
        ("/data/downloads/../downloads-evil", "/data/downloads-evil"),
        ("/data/./downloads//tv/../movies/", "/data/downloads/movies"),
        ("/...", "/..."),
        ("/a/..b/c..", "/a/..b/c.."),
        ("/a/.hidden", "/a/.hidden"),
        ("/a/b c/ü", "/a/b c/ü"),
    ])
    func cleanMatchesGoPathClean(_ input: String, _ expected: String) {
        #expect(PathRules.clean(input) == expected)
    }

    @Test(arguments: ["", "a", "a/b", "./a", "../a", ".", "..", " /a", "~/a", "/a\u{0}b", "/a/\u{0}"])
    func cleanRejectsRelativeEmptyOrNUL(_ input: String) {
        #expect(PathRules.clean(input) == nil)
    }

    @Test func cleanKeepsTheExactBytes() throws {
        // "é" precomposed and decomposed are equal as Swift Strings but are different names on disk.
        let decomposed = "/a/e\u{301}"
        let cleaned = try #require(PathRules.clean(decomposed + "/"))
        #expect(Array(cleaned.utf8) == Array(decomposed.utf8))
    }

    @Test func cleanSplitsOnEverySlashEvenBeforeACombiningMark() {
        // "/\u{301}" is one Character in Swift but the kernel still sees a separator there.
        #expect(PathRules.clean("/a/..\u{2F}\u{301}x").map { Array($0.utf8) } == Array("/\u{301}x".utf8))
    }

    @Test func isInsideIsComponentWise() {
        #expect(PathRules.isInside("/data/downloads/tv", root: "/data/downloads", strictly: false))
        #expect(PathRules.isInside("/data/downloads/tv/a/b", root: "/data/downloads/", strictly: true))
        #expect(!PathRules.isInside("/data/downloads-evil", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/downloads-evil/x", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/download", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/a/bc", root: "/a/b", strictly: false))
    }

    @Test func isInsideHandlesEquality() {
        #expect(PathRules.isInside("/data/downloads", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/downloads", root: "/data/downloads", strictly: true))
        #expect(!PathRules.isInside("/data/downloads/", root: "/data//downloads", strictly: true))
        #expect(!PathRules.isInside("/data/downloads/x/..", root: "/data/downloads", strictly: true))
    }

    @Test func isInsideResolvesDotDotBeforeComparing() {
        #expect(!PathRules.isInside("/data/downloads/../../etc", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/downloads/../downloads-evil", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/downloads/tv/../../etc/passwd", root: "/data/downloads", strictly: true))
        #expect(PathRules.isInside("/data/downloads/tv/../movies", root: "/data/downloads", strictly: true))
    }

    @Test func isInsideTheFilesystemRoot() {
        #expect(PathRules.isInside("/etc", root: "/", strictly: true))
        #expect(PathRules.isInside("/", root: "/", strictly: false))
        #expect(!PathRules.isInside("/", root: "/", strictly: true))
        #expect(!PathRules.isInside("/..", root: "/", strictly: true))
    }

    @Test func isInsideRejectsRelativeOrInvalidPaths() {
        #expect(!PathRules.isInside("data/downloads/x", root: "/data/downloads", strictly: false))
        #expect(!PathRules.isInside("/data/downloads/x", root: "data/downloads", strictly: false))
        #expect(!PathRules.isInside("", root: "/", strictly: false))
        #expect(!PathRules.isInside("/data/downloads/x\u{0}", root: "/data/downloads", strictly: false))
    }

    @Test func isInsideComparesBytesNotCanonicalEquivalence() {
        let precomposed = "/data/caf\u{e9}"
        let decomposed = "/data/cafe\u{301}"
        #expect(precomposed == decomposed)  // Swift says equal…
        #expect(!PathRules.isInside(decomposed, root: precomposed, strictly: false))  // …the file system does not.
        #expect(!PathRules.isInside(decomposed + "/x", root: precomposed, strictly: false))
        #expect(PathRules.isInside(precomposed + "/x", root: precomposed, strictly: true))
    }
}
