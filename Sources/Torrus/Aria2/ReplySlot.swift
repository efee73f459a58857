import Dispatch
import Synchronization

/// Where one WebSocket answer lands. It can be filled before anyone waits (the answer may arrive
/// before the caller suspends). The wait ends with the answer, with the caller's timer, or when
/// the waiting task is cancelled.
final class ReplySlot: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<[UInt8], any Error>)
        case done(Result<[UInt8], any Error>)
    }

    private let state = Mutex(State.empty)

    func fulfil(_ result: Result<[UInt8], any Error>) {
        let waiter: CheckedContinuation<[UInt8], any Error>? = state.withLock { state in
            switch state {
            case .empty:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    func wait() async throws -> [UInt8] {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<[UInt8], any Error>? = state.withLock { state in
                    if case .done(let result) = state { return result }
                    state = .waiting(continuation)
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            // Fulfilled from another thread, not inside the handler: resuming a continuation from a
            // cancellation handler while a task group cancelled its children deadlocked the Swift
            // 6.3 runtime here.
            DispatchQueue.global().async { self.fulfil(.failure(CancellationError())) }
        }
    }
}
