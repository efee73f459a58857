import HummingbirdCore

extension HTTPServerBuilder {
    /// HTTP/1.1 with Torrus's connection limits; `connections` is shared by every connection.
    static func http1(limits: HTTPConnectionLimits, connections: ConnectionCap) -> HTTPServerBuilder {
        .init { responder in
            LimitedHTTP1Channel(responder: responder, limits: limits, connections: connections)
        }
    }
}
