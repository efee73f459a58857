import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1 channel with Torrus's connection limits: the connection cap (503 beyond
/// it) and the header, body and idle timeouts (`ConnectionTimeoutState`). The HTTP work itself
/// is `HTTP1Channel`'s, unchanged; this only adds handlers around its decoder, and the
/// `100 Continue` it does not send (`ExpectContinueHandler`).
struct LimitedHTTP1Channel: ServerChildChannel {
    private let http1: HTTP1Channel
    private let limits: HTTPConnectionLimits
    private let connections: ConnectionCap

    init(responder: @escaping HTTPChannelHandler.Responder, limits: HTTPConnectionLimits, connections: ConnectionCap) {
        // No idle timeout of Hummingbird's own: ours covers it and never cuts a response short.
        http1 = HTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: [HTTPPartObserver()]))
        self.limits = limits
        self.connections = connections
    }

    /// Runs on the new channel's event loop before it is registered, so the handlers are in
    /// place before its first byte is read.
    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<LimitedHTTP1Connection> {
        guard connections.admit() else {
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ConnectionRejectHandler())
                return LimitedHTTP1Connection(channel: channel, http: nil)
            }
        }
        let connections = self.connections
        channel.closeFuture.whenComplete { _ in connections.release() }
        let limits = self.limits
        return channel.eventLoop.makeCompletedFuture {
            // Added to the empty pipeline, so it stays in front of the HTTP decoder.
            try channel.pipeline.syncOperations.addHandler(ConnectionTimeoutHandler(limits: limits, logger: logger))
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }.flatMapThrowing { http in
            let pipeline = channel.pipeline.syncOperations
            try pipeline.handler(type: HTTPPartObserver.self).timeouts = try pipeline.handler(type: ConnectionTimeoutHandler.self)
            try pipeline.addHandler(ExpectContinueHandler(), position: .before(try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)))
            return LimitedHTTP1Connection(channel: channel, http: http)
        }
    }

    func handle(value: LimitedHTTP1Connection, logger: Logger) async {
        guard let http = value.http else { return }
        await http1.handle(value: http, logger: logger)
    }
}
