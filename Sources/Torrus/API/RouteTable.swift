import Hummingbird
import Synchronization

/// The methods each path of the API answers, filled in as the routes are registered. The router
/// only knows "this method here" or "not found"; HTTP wants more for a known path: `Allow` on
/// `OPTIONS`, 405 with `Allow` for any other method (`TRACE`, `PUT`, `FOO`, …).
final class RouteTable: Sendable {
    private struct Route {
        /// Path components; one starting with ':' matches any single component.
        var pattern: [Substring]
        var methods: [HTTPRequest.Method]
    }

    private let routes = Mutex<[Route]>([])

    /// Records that `path` (e.g. `/v1/downloads/:id`) answers `methods`.
    func add(_ path: String, _ methods: [HTTPRequest.Method]) {
        let pattern = path.split(separator: "/")
        routes.withLock { $0.append(Route(pattern: pattern, methods: methods)) }
    }

    /// The `Allow` value for a request path: its methods, `HEAD` wherever there is `GET`, and
    /// `OPTIONS`; nil for a path no route has.
    func allow(for path: String) -> String? {
        let components = path.split(separator: "/")
        let methods = routes.withLock { routes in
            routes.first { route in
                route.pattern.count == components.count
                    && zip(route.pattern, components).allSatisfy { pattern, component in pattern.hasPrefix(":") || pattern == component }
            }?.methods
        }
        guard let methods else { return nil }
        var allowed = methods
        if methods.contains(.get) { allowed.insert(.head, at: allowed.firstIndex(of: .get)! + 1) }
        allowed.append(.options)
        return allowed.map(\.rawValue).joined(separator: ", ")
    }
}
