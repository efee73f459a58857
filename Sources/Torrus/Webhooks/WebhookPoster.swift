import Foundation

/// One attempt to deliver a message: signs it for this moment, sends it, and says how it went.
struct WebhookPoster: Sendable {
    let sender: any WebhookSender
    let policy: WebhookPolicy

    /// The attempt, or nil when the task was cancelled during it (torrusd stopping, the target
    /// paused or deleted): the message is then still owed, and sent again later.
    func attempt(
        _ message: (id: String, body: [UInt8]),
        to webhook: Webhook,
        event: (sequence: Int64?, type: String, downloadID: UUID?),
        number: Int
    ) async -> WebhookAttempt? {
        let started = Date.nowMicroseconds()
        let clock = ContinuousClock()
        let start = clock.now
        var headers = WebhookSignature.headers(messageID: message.id, timestamp: started / 1_000_000, body: message.body, secret: webhook.secret)
        headers.append("User-Agent: Torrus-Webhooks/1")
        var status: Int?
        var reason: String?
        do {
            let code = try await sender.send(url: webhook.url, body: message.body, headers: headers, timeout: policy.timeout)
            status = code
            if !(200..<300).contains(code) {
                reason = (300..<400).contains(code) ? "HTTP \(code): redirects are not followed" : "HTTP \(code)"
            }
        } catch is CancellationError {
            return nil
        } catch let failure as CurlError {
            if Task.isCancelled { return nil }
            reason = failure.kind == .timeout ? "no answer within \(policy.timeout)" : failure.message
        } catch {
            if Task.isCancelled { return nil }
            reason = "\(error)"
        }
        let elapsed = start.duration(to: clock.now).components
        let outcome: WebhookAttempt.Outcome = reason == nil ? .delivered : number >= policy.maxAttempts ? .failed : .retrying
        return WebhookAttempt(
            webhookID: webhook.id,
            messageID: message.id,
            sequence: event.sequence,
            eventType: event.type,
            downloadID: event.downloadID,
            attempt: number,
            at: started,
            statusCode: status,
            error: reason,
            durationMicroseconds: elapsed.seconds * 1_000_000 + elapsed.attoseconds / 1_000_000_000_000,
            outcome: outcome
        )
    }
}
