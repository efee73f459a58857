import Foundation
import Logging

/// Delivers one target's events: reads the log after the target's `deliveredThrough`, sends what
/// passes its filter (`WebhookQueue` decides the order), retries with backoff, and reports
/// attempts and progress to the store now and then — at least once: a message sent but not yet
/// reported when torrusd dies is sent again. Runs until its task is cancelled or it pauses the
/// target (too many messages in a row failed).
struct WebhookDispatcher: Sendable {
    let webhook: Webhook
    let store: any WebhookStore & EventLog
    let poster: WebhookPoster
    let logger: Logger
    /// Log events read at once.
    var pageSize = 500
    /// How often attempts and progress are written to the store, at most.
    var reportEvery: Duration = .milliseconds(250)

    /// Runs until the task is cancelled or the target is paused. `inbox` is rung by
    /// `WebhookDeliveries` when the store wrote something, and by the dispatcher's own sends.
    func run(inbox: WebhookInbox) async {
        let policy = poster.policy
        var queue = WebhookQueue(after: webhook.deliveredThrough, filter: webhook.filter)
        var report = DeliveryReport()
        var reportedThrough = webhook.deliveredThrough
        var failedInARow = 0
        var mayRead = true
        var lastReport = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            group.addTask { [reportEvery] in
                while (try? await Task.sleep(for: reportEvery)) != nil { inbox.ring() }
            }
            inbox.ring()
            // One turn per ring, with everything that came since the last: a thousand store
            // writes a second are one read of the log, not a thousand.
            for await _ in inbox.rings {
                let (woken, attempts) = inbox.take()
                if woken { mayRead = true }
                for attempt in attempts {
                    report.attempts.append(attempt)
                    guard let sequence = attempt.sequence else { continue }
                    switch attempt.outcome {
                    case .delivered:
                        failedInARow = 0
                        queue.finish(sequence)
                    case .failed:
                        failedInARow += 1
                        queue.finish(sequence)
                        logger.warning(
                            "Webhook message failed for good",
                            metadata: ["webhook": "\(webhook.id)", "message": "\(attempt.messageID)", "error": "\(attempt.error ?? "")"]
                        )
                        if failedInARow >= policy.pauseAfter, report.pause == nil {
                            report.pause =
                                "\(failedInARow) messages in a row failed after \(policy.maxAttempts) attempts each; the last: \(attempt.error ?? "unknown")."
                        }
                    case .retrying, .missed:
                        break
                    }
                }
                if report.pause != nil { break }
                while mayRead, queue.waiting.count < policy.window {
                    mayRead = await read(into: &queue, report: &report)
                }
                for event in queue.start(concurrency: policy.concurrency) {
                    group.addTask { await deliver(event, inbox: inbox) }
                }
                let through = queue.deliveredThrough
                if !report.attempts.isEmpty || through != reportedThrough,
                    report.attempts.count >= 100 || lastReport.duration(to: .now) >= reportEvery
                {
                    report.deliveredThrough = through
                    if await save(report) {
                        reportedThrough = through
                        report = DeliveryReport()
                    }
                    lastReport = .now
                }
            }
            group.cancelAll()
            report.deliveredThrough = queue.deliveredThrough
        }
        if let reason = report.pause {
            logger.error("Webhook target paused", metadata: ["webhook": "\(webhook.id)", "reason": "\(reason)"])
        }
        // Outside the cancelled task: the last report must still be written.
        let final = report
        _ = await Task { await save(final) }.value
    }

    /// Reads the next page of the log into the queue; true if there may be more to read now.
    private func read(into queue: inout WebhookQueue, report: inout DeliveryReport) async -> Bool {
        do {
            let after = queue.readThrough
            let page = try await store.events(after: after, limit: pageSize)
            if after > page.last {
                // The log is behind the target: a store that was replaced. Start from its end.
                queue.skip(to: page.last)
                return false
            }
            if page.cannotReplay(after: after) {
                report.attempts.append(missed(after + 1, through: page.oldest - 1))
                queue.skip(to: page.oldest - 1)
                return true
            }
            queue.read(page.events)
            return page.events.count == pageSize
        } catch {
            if !Task.isCancelled {
                logger.warning("Cannot read the event log for a webhook", metadata: ["webhook": "\(webhook.id)", "error": "\(error)"])
            }
            // Tried again at the next wake-up or tick, not at once.
            return false
        }
    }

    /// Sends one event until it is delivered, fails for good, or the task is cancelled.
    private func deliver(_ event: LoggedEvent, inbox: WebhookInbox) async {
        let message = (id: WebhookMessage.id(of: event), body: WebhookMessage.body(of: event))
        var number = 1
        while true {
            guard
                let attempt = await poster.attempt(
                    message,
                    to: webhook,
                    event: (event.sequence, event.type.rawValue, event.downloadID),
                    number: number
                )
            else { return }
            inbox.post(attempt)
            guard attempt.outcome == .retrying else { return }
            guard (try? await Task.sleep(for: poster.policy.delay(after: number))) != nil else { return }
            number += 1
        }
    }

    private func missed(_ first: Int64, through last: Int64) -> WebhookAttempt {
        WebhookAttempt(
            webhookID: webhook.id,
            messageID: "evt_\(first)-\(last)",
            sequence: nil,
            eventType: "missed",
            downloadID: nil,
            attempt: 0,
            at: Date.nowMicroseconds(),
            statusCode: nil,
            error: "Events \(first) to \(last) left the event log (TORRUS_EVENTS_RETAIN…) before they were sent; they are lost to this target.",
            durationMicroseconds: 0,
            outcome: .missed
        )
    }

    private func save(_ report: DeliveryReport) async -> Bool {
        do {
            try await store.recordDeliveries(webhook.id, report)
            return true
        } catch {
            logger.warning("Cannot record webhook deliveries", metadata: ["webhook": "\(webhook.id)", "error": "\(error)"])
            return false
        }
    }
}
