import Dispatch
import Synchronization
import Testing

@testable import Torrus

struct CurlThreadTests {
    /// `detach` (what closing a WebSocket or shutting down the HTTP client does) returns while the
    /// thread still works; `join` waits for it.
    @Test func detachNeverWaitsAndJoinDoes() {
        let release = DispatchSemaphore(value: 0)
        let finished = Atomic<Int>(0)
        let detached = CurlThread {
            // Bounded, so a detach that waits fails the test instead of hanging it.
            _ = release.wait(timeout: .now() + .seconds(5))
            finished.add(1, ordering: .sequentiallyConsistent)
        }
        detached.detach()
        #expect(finished.load(ordering: .sequentiallyConsistent) == 0)
        release.signal()

        let joined = CurlThread { finished.add(10, ordering: .sequentiallyConsistent) }
        joined.join()
        joined.join()  // idempotent
        joined.detach()  // and no longer detachable
        #expect(finished.load(ordering: .sequentiallyConsistent) >= 10)
    }
}
