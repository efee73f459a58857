import Glibc
import Synchronization

/// A dedicated POSIX thread (never the Swift cooperative pool) that can be joined.
final class CurlThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t
    private let joined = Mutex(false)

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

    /// Whether the caller is this thread.
    var isCurrent: Bool { pthread_equal(pthread_self(), thread) != 0 }

    /// Waits for the thread to finish. Idempotent; from the thread itself it detaches instead
    /// (joining oneself would deadlock).
    func join() {
        let first = joined.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        if isCurrent {
            pthread_detach(thread)
        } else {
            pthread_join(thread, nil)
        }
    }
}
