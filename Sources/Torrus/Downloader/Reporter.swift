/// Where a downloader sends its events (DESIGN.md, EventSource / Reporter).
public protocol Reporter: Sendable {
    func report(_ event: DownloaderEvent)
}

/// The default reporter: an unbounded channel read by the reconciler. Unbounded because a
/// dropped terminal event would leave a download in the wrong state; events are small and the
/// reconciler drains them as fast as they come.
public struct ChannelReporter: Reporter {
    public let events: AsyncStream<DownloaderEvent>
    private let continuation: AsyncStream<DownloaderEvent>.Continuation

    public init() {
        (events, continuation) = AsyncStream.makeStream(of: DownloaderEvent.self)
    }

    public func report(_ event: DownloaderEvent) {
        continuation.yield(event)
    }

    /// Ends the stream once what was reported has been read.
    public func finish() {
        continuation.finish()
    }
}
