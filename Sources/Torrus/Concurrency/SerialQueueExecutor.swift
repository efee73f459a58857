import Dispatch

/// A task executor that runs jobs on one serial dispatch queue.
///
/// The reconciler prefers the SQLite store's writer queue (`DownloadStore.writerExecutor`):
/// GRDB runs each write on a queue that targets it, so a write the reconciler starts runs on the
/// same thread right after the reconciler's job suspends, instead of waking another thread —
/// that wake was an eighth of the time from an aria2 notification to the API.
final class SerialQueueExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: a `DispatchQueue` is thread-safe; corelibs Dispatch does not say so.
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
