/// Why the bench stopped. Every case prints as one line that says what was being waited for or
/// done, so a failed run explains itself without a debugger.
enum BenchError: Error, CustomStringConvertible {
    case usage(String)
    case help
    case setup(String)
    /// A wait ran past its deadline; the message says what was awaited and what was seen.
    case timeout(String)
    case http(String)
    case check(String)
    case interrupted

    var description: String {
        switch self {
        case .usage(let message): "usage error: \(message) (see --help)"
        case .help: BenchOptions.usage
        case .setup(let message): "setup failed: \(message)"
        case .timeout(let message): "timed out: \(message)"
        case .http(let message): "HTTP API: \(message)"
        case .check(let message): "check failed: \(message)"
        case .interrupted: "interrupted"
        }
    }
}
