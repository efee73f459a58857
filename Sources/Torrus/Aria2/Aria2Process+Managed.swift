extension Aria2Process.Options {
    /// Torrus's defaults for its own aria2c; the user's extra arguments come after them and win.
    static let managedDefaults = ["--max-concurrent-downloads=5", "--seed-ratio=1.0"]

    /// torrusd's own aria2c: loopback only (as every `Aria2Process`), a free port chosen once (it
    /// survives restarts of aria2c), a generated secret, the session file in the data directory,
    /// downloads in `downloadDirectory`, and `extraArguments` (`TORRUS_ARIA2C_ARGS`) last.
    static func managed(
        executable: String,
        dataDirectory: String,
        downloadDirectory: String,
        extraArguments: [String]
    ) throws -> Self {
        var options = Self(directory: downloadDirectory, secret: Aria2Process.randomSecret())
        options.executable = executable
        options.sessionFile = dataDirectory + "/aria2.session"
        options.port = try Aria2Process.freeLoopbackPort()
        options.extraArguments = managedDefaults + extraArguments
        return options
    }
}
