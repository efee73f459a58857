import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import Torrus

/// A downloader that records every call and can be told to fail, for service and API tests. In
/// an application (`buildApplication(downloader:)`) it runs as a service and reports events
/// through the application's reporter, as a real downloader does.
final class RecordingDownloader: Downloader, Service {
    enum Call: Equatable, Sendable {
        case start(GID?), pause(GID?), resume(GID?), cancel(GID?), purge(GID?, deleteFiles: Bool)
    }

    private let state = Mutex<(calls: [Call], failure: TorrusError?, reporter: (any Reporter)?)>(([], nil, nil))

    var calls: [Call] { state.withLock { $0.calls } }

    /// Every later call throws `failure` (nil: calls succeed again).
    func fail(with failure: TorrusError?) { state.withLock { $0.failure = failure } }

    /// Itself, reporting to `reporter`: the factory `buildApplication` takes.
    func reporting(to reporter: any Reporter) -> RecordingDownloader {
        state.withLock { $0.reporter = reporter }
        return self
    }

    /// Reports `kind` for `gid`, as if the transfer had done it.
    func report(_ kind: DownloaderEvent.Kind, gid: GID) throws {
        let reporter = try #require(state.withLock { $0.reporter }, "not part of an application")
        reporter.report(DownloaderEvent(gid: gid, kind))
    }

    func run() async throws {
        try? await gracefulShutdown()
    }

    private func record(_ call: Call) throws {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
            state.calls.append(call)
        }
    }

    func start(_ download: Download) throws { try record(.start(download.gid)) }
    func pause(_ download: Download) throws { try record(.pause(download.gid)) }
    func resume(_ download: Download) throws { try record(.resume(download.gid)) }
    func cancel(_ download: Download) throws { try record(.cancel(download.gid)) }
    func purge(_ download: Download, deleteFiles: Bool) throws { try record(.purge(download.gid, deleteFiles: deleteFiles)) }
}

/// A fresh directory under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("torrus-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Polls `condition` until it holds or `timeout` passes; the poll is the synchronisation, not a sleep.
func eventually(
    timeout: Duration = .seconds(10),
    _ what: String = "condition",
    sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("Timed out after \(timeout) waiting for \(what)", sourceLocation: sourceLocation)
    throw CancellationError()
}

func makeDownload(
    source: String = "http://127.0.0.1/file-\(UUID().uuidString).bin",
    targetPath: String = "/data/downloads",
    gid: GID? = .random(),
    status: DownloadStatus = .queued,
    desired: DesiredStatus = .queued,
    createdAt: Date = .nowMilliseconds()
) -> Download {
    Download(
        gid: gid,
        source: source,
        targetPath: targetPath,
        fingerprint: Fingerprint.of(source: source, targetPath: targetPath),
        status: status,
        desiredStatus: desired,
        createdAt: createdAt
    )
}

/// A log handler that keeps every line, to check what is (and is not) logged.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    func logger(label: String = "test") -> Logger {
        var logger = Logger(label: label) { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            sink.append("\(event.level) \(event.message) \(fields)")
        }
    }
}
