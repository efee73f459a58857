import Foundation

/// Serialises operations per download id: a PATCH and a DELETE of the same download never
/// interleave their downloader calls, while different downloads proceed in parallel.
actor KeyedLock {
    private var waiters: [UUID: [CheckedContinuation<Void, Never>]] = [:]

    func withLock<T: Sendable>(_ id: UUID, _ body: @Sendable () async throws -> T) async throws -> T {
        await lock(id)
        do {
            let result = try await body()
            unlock(id)
            return result
        } catch {
            unlock(id)
            throw error
        }
    }

    private func lock(_ id: UUID) async {
        if waiters[id] == nil {
            waiters[id] = []
            return
        }
        await withCheckedContinuation { waiters[id]!.append($0) }
    }

    private func unlock(_ id: UUID) {
        guard var queue = waiters[id], !queue.isEmpty else {
            waiters[id] = nil
            return
        }
        let next = queue.removeFirst()
        waiters[id] = queue
        next.resume()
    }
}
