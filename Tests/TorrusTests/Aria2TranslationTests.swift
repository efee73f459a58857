import Foundation
import Testing

@testable import Torrus

@Suite struct Aria2TranslationTests {
    static let gid = "2089b05ecca3d829"
    static let other = "d4c3b2a1f0e9d8c7"

    static func status(_ status: String, _ build: (inout Aria2Status) -> Void = { _ in }) -> Aria2Status {
        var value = Aria2Status(gid: gid, status: Aria2Status.State(rawValue: status)!)
        build(&value)
        return value
    }

    static func kinds(_ status: Aria2Status) -> [DownloaderEvent.Kind] {
        Aria2Translation.events(for: status).map(\.kind)
    }

    @Test(arguments: [
        ("waiting", DownloaderEvent.Kind.queued), ("active", .started), ("paused", .paused), ("complete", .completed), ("removed", .cancelled),
    ])
    func statusesMapOneToOne(_ aria2: String, _ expected: DownloaderEvent.Kind) {
        #expect(Self.kinds(Self.status(aria2)).last == expected)
    }

    @Test func anErrorCarriesAria2sCodeAsANumberAndSaysInWordsWhatHappened() {
        let kinds = Self.kinds(
            Self.status("error") {
                $0.errorCode = "3"; $0.errorMessage = "Resource not found"
            }
        )
        #expect(kinds.last == .failed(DownloadFailure(code: 3, message: "The resource was not found (aria2 error 3: Resource not found)")))
        let resume = Self.kinds(
            Self.status("error") {
                $0.errorCode = "8"; $0.errorMessage = "No URI available."
            }
        )
        #expect(
            resume.last
                == .failed(
                    DownloadFailure(
                        code: 8,
                        message:
                            "The server does not support resuming, which this download needed; a retry starts it over (aria2 error 8: No URI available.)"
                    )
                )
        )
        #expect(
            Self.kinds(
                Self.status("error") {
                    $0.errorCode = nil; $0.errorMessage = ""
                }
            ).last == .failed(DownloadFailure(code: 1, message: "An unknown error occurred (aria2 error 1)"))
        )
    }

    @Test func aSeedingTorrentIsComplete() {
        #expect(Self.kinds(Self.status("active") { $0.seeder = "true" }).last == .completed)
    }

    @Test func progressAndMetadataComeBeforeTheStatus() {
        let status = Self.status("active") {
            $0.totalLength = "100"
            $0.completedLength = "40"
            $0.downloadSpeed = "10"
            $0.uploadSpeed = "1"
            $0.files = [
                .init(path: "/d/a.iso", length: "100", completedLength: "40", selected: "true")
            ]
        }
        #expect(
            Self.kinds(status) == [
                .metadata(name: "a.iso", files: [DownloadFile(path: "/d/a.iso", length: 100, completed: 40, index: 1)], infoHash: nil),
                .progress(DownloadProgress(completedLength: 40, totalLength: 100, downloadSpeed: 10, uploadSpeed: 1)),
                .started,
            ]
        )
    }

    @Test func aFinishedMetadataTransferOnlyHandsOver() {
        let events = Aria2Translation.events(for: Self.status("complete") { $0.followedBy = [Self.other] })
        #expect(events == [DownloaderEvent(gid: GID(rawValue: Self.gid)!, .gidSwapped(to: GID(rawValue: Self.other)!))])
    }

    @Test func theRealTransferClaimsTheDownloadFromItsMetadataGID() {
        let events = Aria2Translation.events(
            for: Self.status("active") {
                $0.following = Self.other; $0.infoHash = "abc"
            }
        )
        #expect(events.first == DownloaderEvent(gid: GID(rawValue: Self.other)!, .gidSwapped(to: GID(rawValue: Self.gid)!)))
        #expect(events.last?.kind == .started)
    }

    @Test func metadataPseudoFilesAndUnknownPathsAreNotPayload() {
        let status = Self.status("active") {
            $0.files = [.init(path: "[METADATA]abc", length: "0", completedLength: "0", selected: "true"), .init(path: "", length: "5")]
            $0.bittorrent = .init(info: .init(name: "Show S01"))
        }
        #expect(status.payloadFiles.isEmpty)
        #expect(status.name == "Show S01")
    }

    @Test(arguments: [
        ("GID 2089b05ecca3d829 is not found", true),
        ("Active Download not found for GID#2089b05ecca3d829", true),
        ("No such download for GID#2089b05ecca3d829", true),
        ("Could not remove download result of GID#2089b05ecca3d829", true),
        ("GID#2089b05ecca3d829 cannot be paused now", false),
        ("Unauthorized", false),
    ])
    func gidNotFoundInEveryWording(_ message: String, _ expected: Bool) {
        #expect(Aria2Error.rpc(code: 1, message: message).isGIDNotFound == expected)
        #expect(!Aria2Error.unavailable(message).isGIDNotFound)
    }

    @Test func urlsGetBothSchemes() {
        let plain = Aria2Settings(rpcURL: "http://127.0.0.1:6800/jsonrpc", secret: nil, timeout: .seconds(1), pollInterval: .seconds(1))
        #expect(plain.webSocketURL == "ws://127.0.0.1:6800/jsonrpc")
        let secure = Aria2Settings(rpcURL: "wss://aria2.lan/jsonrpc", secret: nil, timeout: .seconds(1), pollInterval: .seconds(1))
        #expect(secure.rpcURL == "https://aria2.lan/jsonrpc")
        #expect(secure.webSocketURL == "wss://aria2.lan/jsonrpc")
    }

    @Test func backoffGrowsToItsCapWithJitter() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        let delays = (0..<10).map { _ in backoff.next() }
        #expect(delays[0] >= .milliseconds(50) && delays[0] <= .milliseconds(100))
        #expect(delays.allSatisfy { $0 <= .seconds(1) })
        #expect(delays[9] >= .milliseconds(500))
        backoff.reset()
        #expect(backoff.next() <= .milliseconds(100))
    }
}

@Suite struct PayloadCheckTests {
    let directory: TemporaryDirectory

    init() throws { directory = try TemporaryDirectory() }

    func download(files: [(String, Int64)], name: String? = nil) -> Download {
        var download = makeDownload(targetPath: directory.path)
        download.name = name
        download.files = files.enumerated().map { DownloadFile(path: directory.path + "/" + $1.0, length: $1.1, completed: 0, index: $0 + 1) }
        return download
    }

    func write(_ name: String, size: Int) {
        _ = FileManager.default.createFile(atPath: directory.path + "/" + name, contents: Data(count: size))
    }

    @Test func nothingOnDiskMeansAddAgain() {
        defer { directory.remove() }
        #expect(PayloadCheck.of(download(files: [("a.iso", 10)])) == .addAgain)
        #expect(PayloadCheck.of(download(files: [])) == .addAgain)
    }

    @Test func aPartialFileWithItsControlFileMeansAddAgain() {
        defer { directory.remove() }
        write("a.iso", size: 4)
        write("a.iso.aria2", size: 1)
        #expect(PayloadCheck.of(download(files: [("a.iso", 10)])) == .addAgain)
    }

    @Test func theWholePayloadWithoutControlFileIsComplete() {
        defer { directory.remove() }
        write("a.iso", size: 10)
        #expect(PayloadCheck.of(download(files: [("a.iso", 10)])) == .complete)
    }

    @Test func aMismatchWithoutControlFileIsAConflictNamingTheFile() {
        defer { directory.remove() }
        write("a.iso", size: 3)
        guard case .conflict(let message) = PayloadCheck.of(download(files: [("a.iso", 10)])) else {
            Issue.record("expected a conflict")
            return
        }
        #expect(message.contains("a.iso (3 of 10 bytes)"))
    }

    @Test func withoutAFileListTheNameAndTotalLengthDecide() {
        defer { directory.remove() }
        write("b.bin", size: 7)
        var candidate = download(files: [], name: "b.bin")
        candidate.progress.totalLength = 7
        #expect(PayloadCheck.of(candidate) == .complete)
    }
}
