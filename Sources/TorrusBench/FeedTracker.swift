import Foundation
import Synchronization
import Torrus

/// Follows Torrus's in-process change feed: the current status of every download, and when each
/// GID first became Complete — the "Torrus shows it" end of the completion-latency measurement.
/// A change is published after it was stored, so what this sees is what the API would answer.
final class FeedTracker: Sendable {
    private struct State {
        var status: [UUID: DownloadStatus] = [:]
        var completedAt: [String: ContinuousClock.Instant] = [:]
        var changes = 0
        /// Deleted ids: a change published for one of them later is out of order (see
        /// `changesAfterDeletion`) and must not bring it back.
        var deleted: Set<UUID> = []
        var changesAfterDeletion = 0
        var statusChangesAfterDeletion = 0
        var outOfOrder = 0
        /// While recording: when each change of each GID arrived, for the latency breakdown.
        var recording = false
        var timelines: [String: [ContinuousClock.Instant]] = [:]
    }

    private let state = Mutex(State())
    private let stream: AsyncStream<CommittedChange>

    /// Subscribes at once (not when `run` starts), so no change published after init is missed.
    /// The buffer is large because 500 active downloads publish ~1000 progress changes a second;
    /// the feed drops the oldest for a subscriber that falls behind.
    init(feed: ChangeFeed) {
        stream = feed.subscribe(buffer: 1 << 17)
    }

    /// Reads the feed until it finishes (Torrus shutting down) or the task is cancelled.
    func run() async {
        for await committed in stream {
            guard let change = committed.change else { continue }
            let now = ContinuousClock.now
            state.withLock { state in
                state.changes += 1
                if state.recording, let gid = change.download.gid?.rawValue { state.timelines[gid, default: []].append(now) }
                if state.deleted.contains(change.download.id) {
                    state.changesAfterDeletion += 1
                    if case .updated(let old, let new) = change, old.status != new.status { state.statusChangesAfterDeletion += 1 }
                    return
                }
                switch change {
                case .created(let download):
                    state.status[download.id] = download.status
                case .updated(let old, let new):
                    // Each update's `old` must be the previous update's `new`: a mismatch means the
                    // feed delivered two changes of one download out of order.
                    if let current = state.status[new.id], current != old.status { state.outOfOrder += 1 }
                    state.status[new.id] = new.status
                    if new.status == .complete, old.status != .complete, let gid = new.gid?.rawValue, state.completedAt[gid] == nil {
                        state.completedAt[gid] = now
                    }
                case .deleted(let download):
                    state.status[download.id] = nil
                    state.deleted.insert(download.id)
                }
            }
        }
    }

    /// Records (or stops recording) when each change arrives, per GID (see `timeline`). Off
    /// outside the latency round: the 500-active round publishes ~500 changes a second.
    func recordTimelines(_ on: Bool) {
        state.withLock { $0.recording = on }
    }

    /// When each change of `gid` arrived while recording, in order.
    func timeline(_ gid: String) -> [ContinuousClock.Instant] {
        state.withLock { $0.timelines[gid] ?? [] }
    }

    func completedAt(_ gid: String) -> ContinuousClock.Instant? {
        state.withLock { $0.completedAt[gid] }
    }

    /// How many of `ids` have `status` right now.
    func count(_ status: DownloadStatus, among ids: [UUID]) -> Int {
        state.withLock { state in ids.count(where: { state.status[$0] == status }) }
    }

    /// Status histogram of `ids`, for timeout messages ("Active: 480, Queued: 20").
    func summary(of ids: [UUID]) -> String {
        let counts = state.withLock { state in
            ids.reduce(into: [String: Int]()) { $0[state.status[$1]?.rawValue ?? "unknown", default: 0] += 1 }
        }
        return counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }

    /// How many ids the tracker still knows (not deleted).
    func known(among ids: [UUID]) -> Int {
        state.withLock { state in ids.count(where: { state.status[$0] != nil }) }
    }

    var changes: Int { state.withLock { $0.changes } }

    /// Changes the feed delivered for a download after its `.deleted`. Torrus publishes after
    /// each store write returns, so two writers (the reconciler's progress flush and a DELETE)
    /// can publish in the opposite order to the one they committed in.
    var changesAfterDeletion: Int { state.withLock { $0.changesAfterDeletion } }

    /// Of `changesAfterDeletion`, those that changed the status (the rest changed progress).
    var statusChangesAfterDeletion: Int { state.withLock { $0.statusChangesAfterDeletion } }

    /// Updates whose `old` status was not the status the previous change left: out of order.
    var outOfOrderUpdates: Int { state.withLock { $0.outOfOrder } }
}
