/// Where a downloader sends its events (DESIGN.md, EventSource / Reporter). Events observed
/// together (one `tellStatus` answer, one progress poll, one resync) are reported as one batch,
/// which the reconciler applies in one store write.
public protocol Reporter: Sendable {
    func report(_ batch: [DownloaderEvent])
}

extension Reporter {
    public func report(_ event: DownloaderEvent) {
        report([event])
    }
}

/// The default reporter: an unbounded channel read by the reconciler. Unbounded because a
/// dropped terminal event would leave a download in the wrong state; batches are small and the
/// reconciler drains them as fast as they come.
public struct ChannelReporter: Reporter {
    public let events: AsyncStream<[DownloaderEvent]>
    private let continuation: AsyncStream<[DownloaderEvent]>.Continuation

    public init() {
        (events, continuation) = AsyncStream.makeStream(of: [DownloaderEvent].self)
    }

    public func report(_ batch: [DownloaderEvent]) {
        guard !batch.isEmpty else { return }
        continuation.yield(batch)
    }

    /// Ends the stream once what was reported has been read.
    public func finish() {
        continuation.finish()
    }
}
