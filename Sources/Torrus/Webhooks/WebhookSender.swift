/// Sends one webhook request and returns the HTTP status. Redirects are not followed (a 3xx is a
/// failed attempt): a receiver cannot send Torrus's signed requests on to another host.
protocol WebhookSender: Sendable {
    func send(url: String, body: [UInt8], headers: [String], timeout: Duration) async throws -> Int
}

extension CurlHTTPClient: WebhookSender {
    func send(url: String, body: [UInt8], headers: [String], timeout: Duration) async throws -> Int {
        // libcurl follows no redirect unless told to (CURLOPT_FOLLOWLOCATION is off) and speaks
        // only http and https here (CURLOPT_PROTOCOLS_STR).
        try await post(url: url, body: body, headers: headers, timeout: timeout).status
    }
}
