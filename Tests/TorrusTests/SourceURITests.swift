import Foundation
import Testing

@testable import Torrus

private let hexHash = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a"
// RFC 4648 base32 of the same 20 bytes, so the conversion can be checked against the hex form.
private let base32Hash = "YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK"

private func rejection(_ source: String) -> String? {
    do {
        _ = try SourceURI.validate(source)
        return nil
    } catch let error as TorrusError {
        #expect(error.code == .invalidInput)
        return error.message
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

struct SourceURITests {
    @Test(arguments: [
        "http://example.com/file.iso",
        "HTTPS://Example.COM:8443/a/b?c=d&e=f#frag",
        "ftp://user:p%40ss@ftp.example.org/pub/x.tar.gz",
        "sftp://host.example/path/to/file",
        "http://[2001:db8::1]:8080/x",
        "http://[fe80::1%25eth0]/x",
        "http://192.168.1.2/x",
        "https://example.com",
        "http://example.com:65535/",
        "https://bücher.example/datei",
    ])
    func acceptsWellFormedHierarchicalURIs(_ source: String) throws {
        #expect(try SourceURI.validate(source) == source)
    }

    @Test func trimsSurroundingSpaces() throws {
        #expect(try SourceURI.validate("  https://example.com/a ") == "https://example.com/a")
        #expect(try SourceURI.validate(" magnet:?xt=urn:btih:\(hexHash) ") == "magnet:?xt=urn:btih:\(hexHash)")
    }

    /// A newline or tab is refused wherever it is, at the ends too: aria2 writes sources into its
    /// line-based session file.
    @Test(arguments: ["\thttps://example.com/a", "https://example.com/a\n", "https://example.com/a\r\n dir=/etc", "\u{85}https://example.com/a"])
    func rejectsControlCharactersEvenAtTheEnds(_ source: String) {
        #expect(rejection(source)?.hasPrefix("source must not contain control characters") == true)
    }

    @Test(arguments: [
        "https://example.com/a.iso", "https://example.com/dir/My%20File.mkv?x=1", "ftp://h/", "https://h",
        "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Big+Show%20S01",
    ])
    func suggestsTheNameTheDownloaderWillUse(_ source: String) {
        let expected = ["a.iso", "My File.mkv", "index.html", "index.html", "Big Show S01"]
        let sources = [
            "https://example.com/a.iso", "https://example.com/dir/My%20File.mkv?x=1", "ftp://h/", "https://h",
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=Big+Show%20S01",
        ]
        #expect(SourceURI.suggestedName(source) == expected[sources.firstIndex(of: source)!])
    }

    @Test func suggestsNoNameThatIsAPathOrHostile() {
        #expect(SourceURI.suggestedName("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567") == nil)
        #expect(SourceURI.suggestedName("https://h/a/%2E%2E") == nil)
        #expect(SourceURI.suggestedName("https://h/x%2F..%2Fpasswd") == "passwd")
    }

    @Test(arguments: [
        "file:///etc/passwd",
        "FILE:///etc/shadow",
        "javascript:alert(1)",
        "data:text/plain,hello",
        "gopher://example.com/",
        "ws://example.com/",
        "/etc/passwd",
        "relative/path.iso",
        "example.com/file.iso",
        "C:\\Windows\\system32",
        "://example.com",
        "1http://example.com",
    ])
    func rejectsOtherSchemesAndNonURIs(_ source: String) {
        #expect(rejection(source) == "source must be an http, https, ftp, sftp or magnet URI")
    }

    @Test(arguments: ["", "   "])
    func rejectsEmpty(_ source: String) {
        #expect(rejection(source) == "source is empty")
    }

    @Test(arguments: [
        "http://",
        "http:///etc/passwd",
        "http:example.com/x",
        "https:/example.com/x",
        "http://:80/x",
        "http://user@/x",
        "http://exa mple.com/",
        "http://example.com/a b",
        "http://example.com/a\u{0}b",
        "http://example.com/a\tb",
        "http://example.com/\u{7f}",
        "http://example.com/\u{85}x",
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://example.com:/",
        "http://example.com:-1/",
        "http://[zz::1]/",
        "http://[2001:db8::1/",
        "http://[2001:db8::1]x/",
        "http://evil.example\\@good.example/",
        "http://a@b@good.example/",
        "http://exa%zzmple.com/",
        "http://exa<mple.com/",
    ])
    func rejectsMalformedHierarchicalURIs(_ source: String) throws {
        let message = try #require(rejection(source))
        #expect(message.hasPrefix("source") || message.hasPrefix("http") || message.hasPrefix("https"))
    }

    @Test func enforcesTheByteLimit() throws {
        let prefix = "http://example.com/"
        let fits = prefix + String(repeating: "a", count: 8192 - prefix.utf8.count)
        #expect(try SourceURI.validate(fits) == fits)
        #expect(rejection(fits + "a") == "source is longer than 8192 bytes")
        // Bytes, not characters: 'é' is two bytes, so this is over the limit while having fewer than 8192 characters.
        let multibyte = prefix + String(repeating: "é", count: (8192 - prefix.utf8.count) / 2 + 1)
        #expect(multibyte.count < 8192)
        #expect(rejection(multibyte) == "source is longer than 8192 bytes")
    }

    @Test(arguments: [
        "magnet:?xt=urn:btih:\(hexHash)",
        "magnet:?xt=urn:btih:\(hexHash.uppercased())&dn=Some+Name&tr=udp%3A%2F%2Ftracker.example%3A1337",
        "MAGNET:?XT=URN:BTIH:\(base32Hash)",
        "magnet:?xt=urn:btih:\(base32Hash.lowercased())",
        "magnet:?dn=x&xt=urn:btmh:1220\(hexHash)\(String(hexHash.prefix(24)))&xt=urn:btih:\(hexHash)",
        "magnet:?xt.1=urn:btih:\(hexHash)",
        "magnet:?xt=urn%3Abtih%3A\(hexHash)",
    ])
    func acceptsMagnetsWithAnInfoHash(_ source: String) throws {
        #expect(try SourceURI.validate(source) == source)
    }

    @Test(arguments: [
        "magnet:",
        "magnet:?",
        "magnet:xt=urn:btih:\(hexHash)",
        "magnet:?dn=only-a-name",
        "magnet:?xt=urn:btih:",
        "magnet:?xt=urn:btih:\(hexHash.dropLast())",
        "magnet:?xt=urn:btih:\(hexHash)0",
        "magnet:?xt=urn:btih:\(hexHash.dropLast())g",
        "magnet:?xt=urn:btih:\(base32Hash.dropLast())1",
        "magnet:?xt=urn:btih:\(base32Hash.dropLast())8",
        "magnet:?xt=urn:btih:\(base32Hash)A",
        "magnet:?xt=urn:sha1:\(hexHash)",
        "magnet:?xt=urn:btmh:1220\(hexHash)\(String(hexHash.prefix(24)))",
        "magnet:?as=urn:btih:\(hexHash)",
        "magnet:?xtx=urn:btih:\(hexHash)",
    ])
    func rejectsMagnetsWithoutAValidInfoHash(_ source: String) {
        #expect(rejection(source) == "magnet source needs xt=urn:btih: with a 40-hex or 32-base32 info-hash")
    }

    @Test func magnetInfoHashIsLowerCaseHex() {
        #expect(SourceURI.magnetInfoHash("magnet:?xt=urn:btih:\(hexHash.uppercased())&dn=x") == hexHash)
        #expect(SourceURI.magnetInfoHash("magnet:?xt=urn:btih:\(base32Hash)") == hexHash)
        #expect(SourceURI.magnetInfoHash("magnet:?xt=urn:btih:\(base32Hash.lowercased())") == hexHash)
        #expect(
            SourceURI.magnetInfoHash("magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH")
                == "0123456789abcdef0123456789abcdef01234567"
        )
    }

    @Test func magnetInfoHashSkipsInvalidTopicsAndReturnsTheFirstValidOne() {
        let other = "0123456789abcdef0123456789abcdef01234567"
        #expect(SourceURI.magnetInfoHash("magnet:?xt=urn:btih:zz&xt=urn:btih:\(hexHash)&xt=urn:btih:\(other)") == hexHash)
    }

    @Test(arguments: [
        "",
        "http://example.com/?xt=urn:btih:\(hexHash)",
        "magnet:?dn=x",
        "magnet:?xt=urn:btih:1234",
        "magnet:?xt=urn:btih:\(base32Hash.dropLast())0",
    ])
    func magnetInfoHashIsNilWithoutAValidHash(_ source: String) {
        #expect(SourceURI.magnetInfoHash(source) == nil)
    }
}
