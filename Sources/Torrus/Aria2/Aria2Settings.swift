/// How Torrus reaches aria2 (from `ARIA2_*`, or from the managed aria2c).
public struct Aria2Settings: Sendable {
    /// JSON-RPC over HTTP, e.g. `http://127.0.0.1:6800/jsonrpc`.
    public var rpcURL: String
    /// The same endpoint as a WebSocket, e.g. `ws://127.0.0.1:6800/jsonrpc`.
    public var webSocketURL: String
    public var secret: String?
    public var timeout: Duration
    public var pollInterval: Duration
    /// The slow safety sweep: a full resync even when nothing seems to happen.
    public var sweepInterval: Duration = .seconds(30)
    public var pingInterval: Duration = .seconds(5)
    public var pongTimeout: Duration = .seconds(3)
    /// Use aria2's WebSocket push (and requests over it). Off: HTTP only, state from polling and
    /// the sweep — for proxies that break WebSockets, and what happens without libcurl WebSocket support.
    public var push = true

    public init(rpcURL: String, secret: String?, timeout: Duration, pollInterval: Duration) {
        self.rpcURL = Self.withScheme(rpcURL, http: true)
        self.webSocketURL = Self.withScheme(rpcURL, http: false)
        self.secret = secret
        self.timeout = timeout
        self.pollInterval = pollInterval
    }

    /// aria2 serves HTTP and WebSocket JSON-RPC on the same port and path.
    static func withScheme(_ url: String, http: Bool) -> String {
        let pairs = http ? [("wss://", "https://"), ("ws://", "http://")] : [("https://", "wss://"), ("http://", "ws://")]
        for (from, to) in pairs where url.lowercased().hasPrefix(from) { return to + url.dropFirst(from.count) }
        return url
    }
}
