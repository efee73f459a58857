import Synchronization

/// What to undo, newest first: each start pushes its stop, so a failure half-way through setup
/// still stops exactly what was started (processes by the PID they got) and nothing else.
final class CleanupStack: Sendable {
    private let steps = Mutex<[@Sendable () async -> Void]>([])

    func push(_ step: @escaping @Sendable () async -> Void) {
        steps.withLock { $0.append(step) }
    }

    /// Runs every step once, newest first; later calls do nothing.
    func run() async {
        let pending = steps.withLock { steps in
            defer { steps = [] }
            return steps
        }
        for step in pending.reversed() { await step() }
    }
}
