import Glibc
import Synchronization

/// A dedicated POSIX thread (never the Swift cooperative pool), either joined or detached to
/// finish on its own; one released without either is detached.
final class CurlThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t
    /// Joined or detached: a thread may be either only once.
    private let settled = Mutex(false)

    /// Starts `body` on a new thread. Fails only if the system cannot create threads.
    init(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            },
            box
        )
        precondition(result == 0, "pthread_create failed: \(result)")
        self.thread = thread
    }

    deinit {
        detach()
    }

    /// Whether the caller is this thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Waits for the thread to finish, blocking the caller: never from async code, which must
    /// not hold a thread of the cooperative pool. Idempotent; from the thread itself it detaches
    /// instead (joining oneself would deadlock).
    func join() {
        guard settle() else { return }
        if isCurrent {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }

    /// Lets the thread finish on its own (the system frees it when it ends). Never waits.
    func detach() {
        guard settle() else { return }
        pthread_detach(thread)
    }

    /// True the first time only.
    private func settle() -> Bool {
        settled.withLock { done in
            defer { done = true }
            return !done
        }
    }
}
