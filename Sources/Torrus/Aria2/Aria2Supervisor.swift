import Foundation
import Logging
import ServiceLifecycle

/// Runs torrusd's own aria2c when no `ARIA2_RPC_URL` is given, so one process is all a user
/// starts: loopback only, a fixed free port, a generated secret, its session in the data
/// directory. Restarted (with backoff) if it dies; stopped on shutdown with SIGTERM, then SIGKILL
/// (aria2c can ignore SIGTERM for tens of seconds). Listed before the adapter, so the service
/// group stops it after the adapter.
final class Aria2Supervisor: Service {
    let process: Aria2Process
    private let logger: Logger

    init(process: Aria2Process, logger: Logger) {
        self.process = process
        self.logger = logger
    }

    func run() async throws {
        try await start()
        var backoff = Backoff(base: .milliseconds(200), cap: .seconds(10))
        await withGracefulShutdownHandler {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let status = await process.waitForExit()
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                logger.error("aria2c exited unexpectedly; restarting it", metadata: ["status": "\(status)"])
                do {
                    try await Task.sleep(for: backoff.next())
                    try await start()
                    backoff.reset()
                } catch {
                    logger.error("Could not restart aria2c", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            self.process.stop()
        }
        process.stop()
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
