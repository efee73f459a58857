import Foundation
import Hummingbird
import Prometheus

/// Unversioned, unauthenticated endpoints for probes and scrapers.
struct ProbeRoutes {
    let readiness: Readiness
    let registry: PrometheusCollectorRegistry

    func addRoutes(to router: Router<TorrusRequestContext>) {
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

/// Whether Torrus can serve: the store answers (and, with aria2, the daemon answers).
public struct Readiness: Sendable {
    public struct Report: Encodable, Sendable {
        public var ready: Bool
        public var error: String?
    }

    private let probe: @Sendable () async -> String?

    /// `probe` returns nil when ready, or why not.
    public init(probe: @escaping @Sendable () async -> String?) {
        self.probe = probe
    }

    public func check() async -> Report {
        let problem = await probe()
        return Report(ready: problem == nil, error: problem)
    }
}
