import Foundation
import GRDB
import NIOCore

/// Why torrusd cannot start, as the one line it prints: the setting, its value and the cause,
/// e.g. `TORRUS_LISTEN 127.0.0.1:9090 cannot be used: address already in use`. Built only from
/// setting names, paths, addresses, the aria2c executable and system error texts, so neither the
/// API token nor the aria2 secret can end up in it.
public struct StartupError: Error, Equatable, CustomStringConvertible {
    public let key: TorrusConfiguration.Key
    /// The setting's value as shown: a path, an address, or a quoted executable.
    public let value: String
    public let problem: String

    public init(_ key: TorrusConfiguration.Key, _ value: String, _ problem: String) {
        self.key = key
        self.value = value
        self.problem = problem
    }

    public var description: String { "\(key.rawValue) \(value) \(problem)" }

    /// The setting behind an error thrown while building the application, if it is one a user
    /// can fix. (What `StartupCheck` finds first is reported before this point.)
    public init?(building error: any Error, configuration: TorrusConfiguration) {
        if let error = error as? DatabaseError {
            let file = configuration.dataDirectory + "/torrus.sqlite"
            self.init(.dataDirectory, configuration.dataDirectory, "cannot be used: cannot open \(file): \(error.message ?? "\(error.resultCode)")")
        } else if case .noFreePort(let code) = error as? Aria2ProcessError {
            self.init(.aria2Executable, "'\(configuration.aria2Executable)'", "cannot be started: no free loopback port: \(Self.text(errno: code))")
        } else {
            return nil
        }
    }

    /// The setting behind an error that stopped the running application during startup: the
    /// listening socket (the only NIO socket torrusd opens itself, so an `IOError` escaping the
    /// service group is its) or the first start of the managed aria2c.
    public init?(running error: any Error, configuration: TorrusConfiguration) {
        let listen = "\(configuration.listenHost):\(configuration.listenPort)"
        switch error {
        case let error as IOError:
            self.init(.listen, listen, "cannot be used: \(Self.text(errno: error.errnoCode))")
        case is SocketAddressError, is SocketAddressError.UnknownHost:
            self.init(.listen, listen, "cannot be used: the host name does not resolve")
        case let error as Aria2ProcessError:
            let executable = "'\(configuration.aria2Executable)'"
            switch error {
            case .spawnFailed(let name, let code) where code == ENOENT && !name.contains("/"):
                self.init(.aria2Executable, executable, "cannot be started: no such executable on PATH")
            case .spawnFailed(_, let code):
                self.init(.aria2Executable, executable, "cannot be started: \(Self.text(errno: code))")
            case .exitedEarly(let status):
                self.init(
                    .aria2Executable,
                    executable,
                    "cannot be started: it exited at once with status \(status) (a bad option in TORRUS_ARIA2C_ARGS?)"
                )
            case .startTimeout(_, let timeout):
                self.init(.aria2Executable, executable, "cannot be started: its RPC port did not answer within \(timeout)")
            case .noFreePort(let code):
                self.init(.aria2Executable, executable, "cannot be started: no free loopback port: \(Self.text(errno: code))")
            case .alreadyRunning:
                return nil
            }
        default:
            return nil
        }
    }

    /// `strerror`, starting lower case to read as the end of a sentence ("permission denied").
    static func text(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        return text.prefix(1).lowercased() + text.dropFirst()
    }
}
