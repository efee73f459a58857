import Synchronization

/// What a `WebhookDispatcher` is told between two of its turns: that the store wrote something
/// (new events may be in the log), and the attempts its sends finished. Kept here and rung with
/// a bell that holds at most one ring, so a burst of writes and answers makes one turn.
final class WebhookInbox: Sendable {
    private struct State {
        var woken = false
        var attempts: [WebhookAttempt] = []
    }

    private let state = Mutex(State())
    let rings: AsyncStream<Void>
    private let bell: AsyncStream<Void>.Continuation

    init() {
        (rings, bell) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// New events may be in the log.
    func wake() {
        state.withLock { $0.woken = true }
        bell.yield()
    }

    func post(_ attempt: WebhookAttempt) {
        state.withLock { $0.attempts.append(attempt) }
        bell.yield()
    }

    /// A turn with nothing new (time to report, or to start).
    func ring() { bell.yield() }

    func take() -> (woken: Bool, attempts: [WebhookAttempt]) {
        state.withLock { state in
            defer { state = State() }
            return (state.woken, state.attempts)
        }
    }

    /// No more turns: the dispatcher ended.
    func close() { bell.finish() }
}
