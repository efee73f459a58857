import Foundation
import Hummingbird
import Prometheus

/// Unversioned, unauthenticated endpoints for probes and scrapers.
struct ProbeRoutes {
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: Router<TorrusRequestContext>, table: RouteTable) {
        for path in ["/healthz", "/readyz", "/metrics"] { table.add(path, [.get]) }
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok")))
        }
        router.get("readyz") { _, _ in
            let report = await readiness.check()
            return try JSONResponse.make(report, status: report.ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(8192)
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
    }
}

/// Whether Torrus can serve: the store answers and, with aria2, the daemon answers.
public struct Readiness: Sendable {
    public struct Report: Encodable, Sendable {
        public var ready: Bool
        public var error: String?
        /// With the aria2 client: its version, and whether push (the WebSocket) is connected.
        public var aria2: DownloaderReadiness?

        public init(ready: Bool, error: String? = nil, aria2: DownloaderReadiness? = nil) {
            self.ready = ready
            self.error = error
            self.aria2 = aria2
        }
    }

    private let probe: @Sendable () async -> Report

    public init(probe: @escaping @Sendable () async -> Report) {
        self.probe = probe
    }

    public func check() async -> Report {
        await probe()
    }
}
