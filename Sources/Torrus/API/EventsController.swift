import Foundation
import Hummingbird

/// `GET /v1/events`: the event stream (`text/event-stream`). The handler checks the request and
/// takes a place among the open streams — so every refusal is still a problem response — and the
/// response body is the stream itself (`EventStreamSession`).
struct EventsController {
    let streams: EventStreams

    func addRoutes(to group: RouterGroup<TorrusRequestContext>, at base: String, table: RouteTable) {
        group.get("events", use: events)
        table.add(base + "/events", [.get])
    }

    @Sendable func events(_ request: Request, context: TorrusRequestContext) async throws -> Response {
        let session = EventStreamSession(
            streams: streams,
            filter: try Self.filter(request),
            resumeAfter: try Self.resumeAfter(request)
        )
        let permit: EventStreams.Permit
        do {
            permit = try streams.reserve()
        } catch .tooManyStreams(let limit) {
            throw ProblemDetails(
                .tooManyRequests,
                slug: "too-many-streams",
                detail: "\(limit) event streams are open, as many as allowed (TORRUS_EVENTS_MAX_STREAMS); close one or retry later.",
                headers: [.retryAfter: "5"]
            )
        } catch .shuttingDown {
            throw ProblemDetails(.serviceUnavailable, slug: "shutting-down", detail: "Torrus is shutting down.", headers: [.retryAfter: "5"])
        }
        let body = ResponseBody { writer in
            // The place is given back when the stream ends (or when a response never sent, such as
            // the answer to a HEAD, is dropped).
            defer { withExtendedLifetime(permit) {} }
            try await session.run { try await writer.write($0) }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"],
            body: body
        )
    }

    /// `Last-Event-ID`, or `?lastEventId=` for clients that cannot set headers.
    static func resumeAfter(_ request: Request) throws -> Int64? {
        let raw = request.headers[.lastEventID] ?? request.uri.queryParameters["lastEventId"].map(String.init)
        guard let raw, !raw.isEmpty else { return nil }
        guard let sequence = Int64(raw.trimmingCharacters(in: .whitespaces)), sequence >= 0 else {
            throw TorrusError.invalidInput("Last-Event-ID must be the id of an event (a whole number of 0 or more), not '\(raw.prefix(40))'.")
        }
        return sequence
    }

    /// `?types=` (comma-separated, may repeat) and `?download=` (may repeat).
    static func filter(_ request: Request) throws -> EventFilter {
        let query = request.uri.queryParameters
        var filter = EventFilter()
        for list in query.getAll("types") {
            for name in list.split(separator: ",", omittingEmptySubsequences: true) {
                let trimmed = name.trimmingCharacters(in: CharacterSet.whitespaces)
                guard let type = EventType(rawValue: trimmed), type != EventType.reset else {
                    let known = EventType.subscribable.map(\.rawValue).joined(separator: ", ")
                    throw TorrusError.invalidInput("'\(name.prefix(40))' is not an event type; types are \(known).")
                }
                filter.types.insert(type)
            }
        }
        for raw in query.getAll("download") {
            guard let id = UUID(text: String(raw)) else {
                throw TorrusError.invalidInput("'\(raw.prefix(40))' is not a download id; ids are UUIDs.")
            }
            filter.downloads.insert(id)
        }
        return filter
    }
}
