import Testing

@testable import Torrus

/// torrusd's own aria2c, as `buildApplication` starts it when no `ARIA2_RPC_URL` is given.
struct ManagedAria2OptionsTests {
    @Test func torrusDefaultsThenTheUsersArgumentsWithTheSessionInTheDataDirectory() throws {
        let options = try Aria2Process.Options.managed(
            executable: "/opt/aria2/aria2c",
            dataDirectory: "/srv/torrus",
            downloadDirectory: "/srv/torrus/downloads",
            extraArguments: ["--seed-ratio=0", "--listen-port=51413"]
        )
        #expect(options.executable == "/opt/aria2/aria2c")
        #expect(options.directory == "/srv/torrus/downloads")
        #expect(options.sessionFile == "/srv/torrus/aria2.session")
        #expect(options.port != nil, "a free port chosen once, kept across restarts of aria2c")
        #expect(options.secret.count >= 32 && options.secret.allSatisfy(\.isHexDigit))
        #expect(options.extraArguments == ["--max-concurrent-downloads=5", "--seed-ratio=1.0", "--seed-ratio=0", "--listen-port=51413"])

        let arguments = Aria2Process(options: options).arguments
        #expect(arguments.contains("--rpc-listen-all=false"))
        #expect(arguments.contains("--save-session=/srv/torrus/aria2.session"))
        #expect(Array(arguments.suffix(2)) == ["--seed-ratio=0", "--listen-port=51413"], "the user's arguments come last and win")
    }

    @Test func eachManagedAria2cGetsItsOwnSecret() throws {
        let first = try Aria2Process.Options.managed(executable: "aria2c", dataDirectory: "/d", downloadDirectory: "/d/downloads", extraArguments: [])
        let second = try Aria2Process.Options.managed(
            executable: "aria2c",
            dataDirectory: "/d",
            downloadDirectory: "/d/downloads",
            extraArguments: []
        )
        #expect(first.secret != second.secret)
    }
}
