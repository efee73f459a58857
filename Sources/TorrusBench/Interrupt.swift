import Dispatch
import Glibc
import Synchronization

/// Ctrl-C / SIGTERM handling. The first signal only sets a flag that every bench wait checks, so
/// the run unwinds through its normal cleanup (Torrus stops gracefully, aria2c and the file
/// server are stopped by PID, the temp dir is removed). A second signal exits at once; the
/// children still go away by themselves (aria2c has --stop-with-process, the file server stops
/// on EOF of its stdin).
enum Interrupt {
    private static let flag = Atomic<Bool>(false)
    /// Kept alive for the process's lifetime. Written once, by `install()` at start-up before any
    /// task runs, and never read: hence no lock.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    static var requested: Bool { flag.load(ordering: .relaxed) }

    static func install() {
        signal(SIGPIPE, SIG_IGN)  // a peer hanging up must be an error, not the end of the bench
        var installed: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)  // let the dispatch source see it instead of the default action
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if flag.exchange(true, ordering: .relaxed) { _exit(130) }
                Output.error("torrus-bench: interrupted, cleaning up (again to quit at once)")
            }
            source.resume()
            installed.append(source)
        }
        sources = installed
    }

    /// Throws when an interrupt was requested; called by every wait.
    static func check() throws(BenchError) {
        if requested { throw .interrupted }
    }
}
