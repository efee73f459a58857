import Synchronization

/// When the service last sent each GID a command that succeeded (pause, resume, cancel), so the
/// reconciler can tell a status aria2 reported *before* that command from one after it. An
/// answer to a `tellStatus` sent before the `pause` can arrive and be applied after the
/// service has recorded Paused; without this, the API would say Active again until aria2's own
/// pause notification came through.
///
/// In memory only: after a restart no answer from before it is still in flight. Entries older
/// than any answer could be (`horizon`) are dropped as new ones come.
public final class CommandLog: Sendable {
    private let sent = Mutex<(byGID: [GID: ContinuousClock.Instant], pruned: ContinuousClock.Instant)>(([:], .now))
    private let horizon: Duration

    public init(horizon: Duration = .seconds(120)) {
        self.horizon = horizon
    }

    /// A command to `gid`, sent at `instant`, succeeded.
    public func record(_ gid: GID, sentAt instant: ContinuousClock.Instant) {
        sent.withLock { sent in
            sent.byGID[gid] = max(instant, sent.byGID[gid] ?? instant)
            // At most once per horizon, so the scan stays off the per-command cost.
            let now = ContinuousClock.now
            if now - sent.pruned > horizon {
                sent.byGID = sent.byGID.filter { $0.value > now - horizon }
                sent.pruned = now
            }
        }
    }

    /// Whether something aria2 said in answer to a call sent at `observed` predates the last
    /// command to `gid`.
    public func isStale(_ gid: GID, observedAt observed: ContinuousClock.Instant) -> Bool {
        guard let command = sent.withLock({ $0.byGID[gid] }) else { return false }
        return observed < command
    }
}
