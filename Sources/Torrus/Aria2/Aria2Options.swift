/// A download's options in aria2's terms (`addUri`'s and `changeOption`'s option object): every
/// value a string, `header` a list, as aria2's RPC takes them.
enum Aria2Options {
    static func of(_ options: DownloadOptions) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        if let out = options.out { values["out"] = .string(out) }
        if !options.headers.isEmpty { values["header"] = .array(options.headers.map(JSONValue.string)) }
        if let connections = options.connections {
            values["split"] = .string(String(connections))
            values["max-connection-per-server"] = .string(String(connections))
        }
        if let checksum = options.checksum { values["checksum"] = .string(checksum) }
        // The limit, file selection and seeding: the same names as a later change.
        values.merge(changeable(options)) { _, changed in changed }
        return values
    }

    /// The options aria2 can change on a download it already has (`aria2.changeOption`), each
    /// sent when it was set. A torrent's file selection goes by `select-file`.
    static func changeable(_ options: DownloadOptions) -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        if let limit = options.maxDownloadLimit { values["max-download-limit"] = .string(String(limit)) }
        if let files = options.selectFiles { values["select-file"] = .string(files.map(String.init).joined(separator: ",")) }
        if let ratio = options.seedRatio { values["seed-ratio"] = .string(String(ratio)) }
        if let time = options.seedTime { values["seed-time"] = .string(String(time)) }
        return values
    }
}
