import Hummingbird
import Metrics
import Synchronization

/// Hummingbird's `MetricsMiddleware`, same metrics and labels (`hb_requests`,
/// `hb_request_errors`, `http_server_request_duration`, `http_server_active_requests`), without
/// its cost on the request path: Hummingbird's wraps every response body in a closure to record
/// after the last byte, and a closure body is written as three separate writes (head, body, end),
/// each its own hop to the event loop and its own `write(2)`, where a buffer is one. Here only a
/// streamed body (no length known up front) is wrapped; any other is recorded when the handler
/// returns it, a few microseconds before it is written.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = TorrusRequestContext
    private let cache = Cache()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = cache.active(request.method)
        active.increment()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let endpoint = cache.endpoint(.init(route: context.endpointPath ?? "NotFound", method: request.method, status: status))
            endpoint.requests.increment()
            endpoint.errors.increment()
            active.decrement()
            throw error
        }
        let endpoint = cache.endpoint(.init(route: context.endpointPath ?? "Unknown", method: request.method, status: response.status))
        guard response.body.contentLength == nil else {
            Self.record(endpoint, active, since: start)
            return response
        }
        let body = response.body
        response.body = ResponseBody { writer in
            do {
                try await body.write(writer)
            } catch {
                Self.record(endpoint, active, since: start)
                throw error
            }
            Self.record(endpoint, active, since: start)
        }
        return response
    }

    private static func record(_ endpoint: Cache.Endpoint, _ active: Meter, since start: ContinuousClock.Instant) {
        endpoint.requests.increment()
        endpoint.duration.record(duration: ContinuousClock.now - start)
        active.decrement()
    }

    /// The metric objects per method and per route, method and status, made once: making one
    /// asks the metrics backend, which looks its labels up under its own lock.
    final class Cache: Sendable {
        struct Key: Hashable {
            var route: String
            var method: HTTPRequest.Method
            var status: HTTPResponse.Status
        }

        struct Endpoint: Sendable {
            let requests: Counter
            let duration: Timer
            let errors: Counter

            init(_ key: Key) {
                let route = ("http.route", key.route)
                let method = ("http.request.method", key.method.rawValue)
                let status = String(key.status.code)
                requests = Counter(label: "hb.requests", dimensions: [route, method, ("http.response.status_code", status)])
                duration = Timer(
                    label: "http.server.request.duration",
                    dimensions: [route, method, ("http.response.status_code", status)],
                    preferredDisplayUnit: .seconds
                )
                errors = Counter(label: "hb.request.errors", dimensions: [route, method, ("error.type", status)])
            }
        }

        private let endpoints = Mutex<[Key: Endpoint]>([:])
        private let meters = Mutex<[HTTPRequest.Method: Meter]>([:])

        func endpoint(_ key: Key) -> Endpoint {
            endpoints.withLock { endpoints in
                if let endpoint = endpoints[key] { return endpoint }
                let endpoint = Endpoint(key)
                endpoints[key] = endpoint
                return endpoint
            }
        }

        func active(_ method: HTTPRequest.Method) -> Meter {
            meters.withLock { meters in
                if let meter = meters[method] { return meter }
                let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
                meters[method] = meter
                return meter
            }
        }
    }
}
