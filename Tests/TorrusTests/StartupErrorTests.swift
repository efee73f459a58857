import Foundation
import Glibc
import NIOCore
import Testing

@testable import Torrus

/// The one-line startup errors, mapped from what the parts of Torrus throw.
@Suite struct StartupErrorTests {
    static let configuration = try! TorrusConfiguration(environment: ["TORRUS_API_TOKEN": "tok-123", "ARIA2_SECRET": "sec-456"])

    @Test func aBindErrorNamesTheListenSetting() {
        let error = StartupError(running: IOError(errnoCode: EADDRINUSE, reason: "bind(descriptor:ptr:bytes:)"), configuration: Self.configuration)
        #expect(error?.description == "TORRUS_LISTEN 0.0.0.0:9090 cannot be used: address already in use")
    }

    @Test(arguments: [
        (Aria2ProcessError.spawnFailed(executable: "aria2c", errno: ENOENT), "TORRUS_ARIA2C 'aria2c' cannot be started: no such executable on PATH"),
        (.spawnFailed(executable: "aria2c", errno: EACCES), "TORRUS_ARIA2C 'aria2c' cannot be started: permission denied"),
        (
            .exitedEarly(status: 28),
            "TORRUS_ARIA2C 'aria2c' cannot be started: it exited at once with status 28 (a bad option in TORRUS_ARIA2C_ARGS?)"
        ),
    ])
    func aria2cErrorsNameTheExecutableSetting(_ error: Aria2ProcessError, _ line: String) {
        #expect(StartupError(running: error, configuration: Self.configuration)?.description == line)
    }

    @Test func otherErrorsAreNotStartupErrors() {
        #expect(StartupError(running: CancellationError(), configuration: Self.configuration) == nil)
        #expect(StartupError(building: CancellationError(), configuration: Self.configuration) == nil)
    }

    @Test func aMissingDataDirectoryIsCreatedAndLeftEmpty() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try StartupCheck.writableDirectory(root.path + "/nested/data", key: .dataDirectory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path + "/nested/data").isEmpty, "the probe file is gone")
    }
}
