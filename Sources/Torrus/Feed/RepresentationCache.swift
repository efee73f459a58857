import Foundation
import NIOCore
import Synchronization

/// The stored representations of the downloads read or written lately, so that
/// `GET /v1/downloads/{id}` is answered from memory: a store read costs a hop to a reader thread
/// and a query, many times what the framework itself spends on a request. Bounded: when full, the
/// oldest entry makes room (memory stays flat however large the store grows).
///
/// Kept right by the one place every write goes through (`PublishingDownloadRepo`): a write
/// replaces or removes its download's entry under the lock that orders writes, and a value read
/// from the store is kept only if no write at all happened while it was being read.
final class RepresentationCache: Sendable {
    private struct State {
        var entries: [UUID: [UInt8]] = [:]
        /// Insertion order, for eviction: `Dictionary` has no cheap "some element" to drop
        /// (its `startIndex` scans for the first occupied bucket, slower with every removal).
        /// May hold ids deleted since; those are skipped when evicting.
        var order = CircularBuffer<UUID>()
        /// Counts writes; a store read that saw another value of it may be stale.
        var writes: UInt64 = 0
        /// The whole list as a JSON array, read for `arrayLimit`; any write drops it.
        var array: ByteBuffer?
        var arrayLimit = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func get(_ id: UUID) -> [UInt8]? {
        state.withLock { $0.entries[id] }
    }

    /// Taken before a store read; `fill` keeps what was read only if no write came in between.
    func ticket() -> UInt64 {
        state.withLock { $0.writes }
    }

    func fill(_ id: UUID, _ representation: [UInt8], ticket: UInt64) {
        state.withLock { state in
            guard state.writes == ticket, state.entries[id] == nil else { return }
            Self.insert(id, representation, into: &state, capacity: capacity)
        }
    }

    func array(limit: Int) -> ByteBuffer? {
        state.withLock { $0.arrayLimit == limit ? $0.array : nil }
    }

    func fillArray(_ array: ByteBuffer, limit: Int, ticket: UInt64) {
        state.withLock { state in
            guard state.writes == ticket else { return }
            state.array = array
            state.arrayLimit = limit
        }
    }

    /// A write of `id` committed: its new representation, or nil when it was deleted.
    func wrote(_ id: UUID, _ representation: [UInt8]?) {
        state.withLock { state in
            state.writes &+= 1
            state.array = nil
            if let representation {
                Self.insert(id, representation, into: &state, capacity: capacity)
            } else {
                state.entries[id] = nil
            }
        }
    }

    private static func insert(_ id: UUID, _ representation: [UInt8], into state: inout State, capacity: Int) {
        if state.entries.updateValue(representation, forKey: id) != nil { return }
        state.order.append(id)
        while state.entries.count > capacity, let oldest = state.order.popFirst() {
            state.entries[oldest] = nil
        }
        // Deleted ids linger in `order`; drop them before they outnumber the entries.
        if state.order.count > 2 * capacity {
            state.order = CircularBuffer(state.order.filter { state.entries[$0] != nil })
        }
    }
}
