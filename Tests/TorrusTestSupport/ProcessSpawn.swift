import Foundation

/// Starts a child with Foundation's `Process`, one at a time in this test process: concurrent
/// `Process.run()` calls (python peers, torrusd, helpers, from tests running in parallel) once
/// crashed inside Foundation (a bad pointer in `Process.run`'s copying). Aria2c is spawned with
/// posix_spawn (`Aria2Process`) and needs no lock.
package enum ProcessSpawn {
    private static let lock = NSLock()

    package static func run(_ process: Process) throws {
        lock.lock()
        defer { lock.unlock() }
        try process.run()
    }
}
