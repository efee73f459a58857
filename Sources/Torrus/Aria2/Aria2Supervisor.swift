import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs torrusd's own aria2c when no `ARIA2_RPC_URL` is given, so one process is all a user
/// starts: loopback only, a fixed free port, a generated secret, its session in the data
/// directory. Restarted (with backoff) if it dies; stopped on shutdown with SIGTERM, then SIGKILL
/// (aria2c can ignore SIGTERM for tens of seconds). Listed before the adapter, so the service
/// group stops it after the adapter.
final class Aria2Supervisor: Service {
    let process: Aria2Process
    private let logger: Logger
    private let firstStart = Mutex<(result: Result<Void, any Error>?, waiters: [CheckedContinuation<Void, any Error>])>((nil, []))

    init(process: Aria2Process, logger: Logger) {
        self.process = process
        self.logger = logger
    }

    /// Returns once aria2c runs for the first time (throws if it could not be started), so the
    /// HTTP server opens only when downloads can be accepted.
    func started() async throws {
        try await withCheckedThrowingContinuation { continuation in
            let result = firstStart.withLock { state in
                if state.result == nil { state.waiters.append(continuation) }
                return state.result
            }
            if let result { continuation.resume(with: result) }
        }
    }

    private func finishFirstStart(_ result: Result<Void, any Error>) {
        let waiters = firstStart.withLock { state in
            guard state.result == nil else { return [CheckedContinuation<Void, any Error>]() }
            state.result = result
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func run() async throws {
        do {
            try await start()
            finishFirstStart(.success(()))
        } catch {
            finishFirstStart(.failure(error))
            throw error
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await self.restartWhenItDies() }
            try? await gracefulShutdown()
            group.cancelAll()
            // Its exit also ends the restart loop's wait.
            await process.stop()
        }
        // A restart that was under way at shutdown may have started aria2c again.
        await process.stop()
    }

    /// Restarts aria2c, with backoff, whenever it exits; ends once cancelled.
    private func restartWhenItDies() async {
        var backoff = Backoff(base: .milliseconds(200), cap: .seconds(10))
        while !Task.isCancelled {
            let status = await process.waitForExit()
            if Task.isCancelled { return }
            logger.error("aria2c exited unexpectedly; restarting it", metadata: ["status": "\(status)"])
            do {
                try await Task.sleep(for: backoff.next())
                try await start()
                backoff.reset()
            } catch is CancellationError {
                return
            } catch {
                logger.error("Could not restart aria2c", metadata: ["error": "\(error)"])
            }
        }
    }

    /// `Aria2Process.start` blocks until aria2c listens; keep that off the cooperative pool.
    private func start() async throws {
        let process = self.process
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result { try process.start() })
            }
        }
        logger.info("Started aria2c", metadata: ["pid": "\(process.pid)", "port": "\(process.port)"])
    }
}
