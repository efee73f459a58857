import Foundation
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
        case change(GID?, DownloadOptions)
        case apply(GlobalSettings)
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
    func change(_ download: Download, options: DownloadOptions) throws { try record(.change(download.gid, options)) }
    func apply(_ settings: GlobalSettings) throws { try record(.apply(settings)) }
    func globalStats() throws -> DownloaderStats? {
        try state.withLock { state in
            if let failure = state.failure { throw failure }
        }
        return DownloaderStats(downloadSpeed: 7, uploadSpeed: 1, numActive: 2, numWaiting: 3, numStopped: 0)
    }
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

/// A closed SQLite store in `directory` that holds `count` new downloads (changes 1 to `count`);
/// returns its path, to be opened again.
func closedSQLiteStore(in directory: TemporaryDirectory, downloads count: Int) async throws -> String {
    let path = directory.path + "/torrus.sqlite"
    let repo = try SQLiteDownloadRepo(path: path, encoding: .v1JSON)
    for _ in 0..<count { _ = try await repo.insert(makeDownload()) }
    try repo.close()
    return path
}
