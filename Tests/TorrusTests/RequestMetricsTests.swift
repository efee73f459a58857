import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Torrus

/// `RequestMetricsMiddleware` records what Hummingbird's did, under the same names: a response
/// with a known length when the handler returns it, a streamed one only once it is written.
/// Each test uses its own method, so the per-method gauge is its alone.
struct RequestMetricsTests {
    private func router(_ method: HTTPRequest.Method) -> Router<TorrusRequestContext> {
        let router = Router(context: TorrusRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware())
        router.on("buffered", method: method) { _, _ in "done" }
        router.on("streamed", method: method) { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "first"))
                    // Lower bound for the recorded duration: the write is part of the request.
                    try await Task.sleep(for: .milliseconds(60))
                    try await writer.write(ByteBuffer(string: "second"))
                    try await writer.finish(nil)
                }
            )
        }
        router.on("failing/:id", method: method) { _, _ -> String in
            throw ProblemDetails(.conflict, slug: "conflict", detail: "no")
        }
        return router
    }

    private func labels(_ route: String, _ method: HTTPRequest.Method, _ status: Int) -> [String] {
        [#"http_route="\#(route)""#, #"http_request_method="\#(method.rawValue)""#, #"http_response_status_code="\#(status)""#]
    }

    @Test func countsAndTimesEveryResponseAndEndsEachActiveRequest() async throws {
        let registry = TestMetrics.registry
        let method = HTTPRequest.Method("TORRUSMETRICS")!
        // Routes of its own, not the API's: kept out of the contract check.
        try await ContractLog.$recording.withValue(false) {
            try await Application(router: router(method)).test(.router) { client in
                for _ in 0..<3 {
                    let buffered = try await client.execute(uri: "/buffered", method: method)
                    #expect(String(buffer: buffered.body) == "done")
                }
                let streamed = try await client.execute(uri: "/streamed", method: method)
                #expect(String(buffer: streamed.body) == "firstsecond")
                let failed = try await client.execute(uri: "/failing/7", method: method)
                #expect(failed.status == .conflict)
            }
        }
        let text = TestMetrics.text(registry)
        #expect(TestMetrics.value(text, "hb_requests", labels("/buffered", method, 200)) == 3)
        #expect(TestMetrics.value(text, "http_server_request_duration_count", labels("/buffered", method, 200)) == 3)
        #expect(TestMetrics.value(text, "hb_requests", labels("/streamed", method, 200)) == 1)
        let streamedSeconds = try #require(TestMetrics.value(text, "http_server_request_duration_sum", labels("/streamed", method, 200)))
        #expect(streamedSeconds >= 0.06, "the streamed body's write is part of its duration")
        #expect(TestMetrics.value(text, "hb_requests", labels("/failing/{id}", method, 409)) == 1)
        #expect(TestMetrics.value(text, "hb_request_errors", [#"http_route="/failing/{id}""#, #"error_type="409""#]) == 1)
        #expect(TestMetrics.value(text, "http_server_active_requests", [#"http_request_method="\#(method.rawValue)""#]) == 0)
    }
}
