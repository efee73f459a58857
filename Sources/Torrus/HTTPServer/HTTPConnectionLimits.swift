/// What one client may hold of the server: how long it may take to send a request head and a
/// request body, how long a connection may sit idle between requests, and how many connections
/// may be open at once. Without these, SwiftNIO keeps a connection as long as the peer does, so
/// idle or trickling sockets can use up the process's file descriptors (DESIGN.md, security facts).
public struct HTTPConnectionLimits: Sendable, Equatable {
    /// From accept (or the first byte of a later request) to the end of the request head.
    public var headerTimeout = Duration.milliseconds(10_000)
    /// From the request head to the end of its body. Torrus's bodies are small JSON documents.
    public var bodyTimeout = Duration.milliseconds(30_000)
    /// From the end of a response to the first byte of the next request.
    public var idleTimeout = Duration.milliseconds(60_000)
    /// How long a response may wait for a client that reads nothing: the connection is closed
    /// when its send buffer stays full this long (a stalled event-stream client, above all).
    public var sendTimeout = Duration.milliseconds(30_000)
    /// Connections beyond this are answered 503 and closed. Far above what an API in front of one
    /// aria2 needs (a UI, scripts, a few event streams), yet small enough that the connections'
    /// memory stays in the tens of MB and well inside common descriptor limits.
    public var maxConnections = 4096

    public init() {}
}
