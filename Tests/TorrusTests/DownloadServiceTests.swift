import Foundation
import Testing

@testable import Torrus

@Suite struct DownloadServiceTests {
    let repo: any DownloadRepo = InMemoryDownloadRepo(encoding: .v1JSON)
    let downloader = RecordingDownloader()
    let root: TemporaryDirectory
    let service: DownloadService

    init() throws {
        root = try TemporaryDirectory()
        service = DownloadService(repo: repo, downloader: downloader, roots: try DownloadRoots([root.path]))
    }

    private func create(_ source: String = "http://127.0.0.1:8080/a.iso", desired: DesiredStatus? = nil) async throws -> Download {
        try await service.create(.init(source: source, desiredStatus: desired)).download
    }

    @Test func createStoresTheGIDBeforeStartingAndDefaultsToQueued() async throws {
        let download = try await create()
        #expect(download.status == .queued)
        #expect(download.desiredStatus == .queued)
        #expect(download.targetPath == root.path)
        #expect(downloader.calls == [.start(download.gid)])
        #expect(try await repo.find(gid: download.gid!)?.id == download.id)
    }

    @Test func aSuccessfulCommandIsRecordedSoEarlierAnswersAreStale() async throws {
        let commands = CommandLog()
        let service = DownloadService(repo: repo, downloader: downloader, roots: try DownloadRoots([root.path]), commands: commands)
        let download = try await service.create(.init(source: "http://127.0.0.1:8080/b.iso", desiredStatus: .active)).download
        let before = ContinuousClock.now
        #expect(!commands.isStale(download.gid!, observedAt: before))
        _ = try await service.setDesiredStatus(download.id, to: .paused)
        #expect(commands.isStale(download.gid!, observedAt: before))
        #expect(!commands.isStale(download.gid!, observedAt: .now))
    }

    @Test func createPausedAddsItPaused() async throws {
        let download = try await create(desired: .paused)
        #expect(download.status == .paused)
        #expect(download.desiredStatus == .paused)
    }

    @Test func createRejectsBadInputBeforeStoringAnything() async throws {
        for source in ["file:///etc/passwd", "not a uri", "magnet:?xt=urn:btih:nothex"] {
            await #expect(throws: TorrusError.self) { try await create(source) }
        }
        await #expect(throws: TorrusError.self) {
            try await service.create(.init(source: "http://127.0.0.1/a", targetPath: "/etc"))
        }
        await #expect(throws: TorrusError.self) { try await create(desired: .cancelled) }
        #expect(try await repo.list().isEmpty)
        #expect(downloader.calls.isEmpty)
    }

    @Test func fiftyConcurrentIdenticalCreatesMakeOneDownloadAndOneStart() async throws {
        let results = try await withThrowingTaskGroup(of: (UUID, Bool).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let (download, created) = try await service.create(.init(source: " http://127.0.0.1:8080/same.iso "))
                    return (download.id, created)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(results.map(\.0)).count == 1)
        #expect(results.filter(\.1).count == 1)
        #expect(try await repo.list().count == 1)
        #expect(downloader.calls.count == 1)
    }

    @Test func whenTheDownloaderIsUnreachableCreateFailsButKeepsTheDownload() async throws {
        downloader.fail(with: .downloaderUnavailable("connection refused"))
        await #expect(throws: TorrusError.downloaderUnavailable("connection refused")) {
            try await create(desired: .active)
        }
        let stored = try #require(try await repo.list().first)
        #expect(stored.status == .queued)
        #expect(stored.desiredStatus == .active)
    }

    @Test func pauseKeepsTheWishAndTheStatusWhenTheDownloaderFails() async throws {
        let download = try await create()
        downloader.fail(with: .downloaderUnavailable("timeout"))
        await #expect(throws: TorrusError.self) { try await service.setDesiredStatus(download.id, to: .paused) }
        let stored = try #require(try await repo.get(download.id))
        #expect(stored.desiredStatus == .paused)
        #expect(stored.status == .queued)

        // Repeating the request once the downloader is back completes it.
        downloader.fail(with: nil)
        let paused = try await service.setDesiredStatus(download.id, to: .paused)
        #expect(paused.status == .paused)
        #expect(downloader.calls.last == .pause(download.gid))
    }

    @Test func resumeCallsTheDownloaderAndQueuesTheDownload() async throws {
        let download = try await create(desired: .paused)
        let resumed = try await service.setDesiredStatus(download.id, to: .active)
        #expect(downloader.calls.last == .resume(download.gid))
        #expect(resumed.status == .queued)
        #expect(resumed.desiredStatus == .active)
    }

    @Test func theSameWishTwiceIsANoOp() async throws {
        let download = try await create(desired: .paused)
        let calls = downloader.calls.count
        let again = try await service.setDesiredStatus(download.id, to: .paused)
        #expect(again == download)
        #expect(downloader.calls.count == calls)
    }

    @Test func activeOnAQueuedDownloadOnlyRecordsTheWish() async throws {
        let download = try await create()
        let updated = try await service.setDesiredStatus(download.id, to: .active)
        #expect(updated.desiredStatus == .active)
        #expect(updated.status == .queued)
        #expect(downloader.calls == [.start(download.gid)])
    }

    @Test func pausingACompleteDownloadIsAConflict() async throws {
        let download = try await create()
        _ = try await repo.update(download.id) { $0.status = .complete }
        await #expect(throws: TorrusError.self) { try await service.setDesiredStatus(download.id, to: .paused) }
        #expect(downloader.calls == [.start(download.gid)])
    }

    @Test func retryingAFailedDownloadStartsItUnderANewGID() async throws {
        let download = try await create(desired: .active)
        _ = try await repo.update(download.id) {
            $0.status = .failed
            $0.error = DownloadFailure(code: 3, message: "not found")
        }
        let retried = try await service.setDesiredStatus(download.id, to: .active)
        #expect(retried.gid != download.gid)
        #expect(retried.status == .queued)
        #expect(retried.error == nil)
        #expect(downloader.calls == [.start(download.gid), .start(retried.gid)])
    }

    @Test func cancelCallsTheDownloaderAndRecordsCancelled() async throws {
        let download = try await create()
        let cancelled = try await service.setDesiredStatus(download.id, to: .cancelled)
        #expect(cancelled.status == .cancelled)
        #expect(downloader.calls.last == .cancel(download.gid))
    }

    @Test func aStatusEventThatArrivesFirstIsNotOverwritten() async throws {
        let download = try await create(desired: .paused)
        // The downloader reports Active before the service records Queued after its resume call.
        let eager = EagerDownloader(repo: repo)
        let service = DownloadService(repo: repo, downloader: eager, roots: try DownloadRoots([root.path]))
        let resumed = try await service.setDesiredStatus(download.id, to: .active)
        #expect(resumed.status == .active)
    }

    @Test func deletePurgesThenForgets() async throws {
        let download = try await create()
        try await service.delete(download.id, deleteFiles: true)
        #expect(downloader.calls.last == .purge(download.gid, deleteFiles: true))
        #expect(try await repo.get(download.id) == nil)
        await #expect(throws: TorrusError.self) { try await service.delete(download.id, deleteFiles: false) }
    }

    @Test func aFailedPurgeDeletesNothing() async throws {
        let download = try await create()
        downloader.fail(with: .downloaderUnavailable("down"))
        await #expect(throws: TorrusError.self) { try await service.delete(download.id, deleteFiles: false) }
        #expect(try await repo.get(download.id) != nil)
    }
}

/// A downloader whose resume is reported (and reconciled) before the call returns.
private struct EagerDownloader: Downloader {
    let repo: any DownloadRepo
    func start(_ download: Download) async throws {}
    func pause(_ download: Download) async throws {}
    func resume(_ download: Download) async throws {
        _ = try await repo.update(download.id) { $0.status = .active }
    }
    func cancel(_ download: Download) async throws {}
    func purge(_ download: Download, deleteFiles: Bool) async throws {}
    func change(_ download: Download, options: DownloadOptions) async throws {}
    func globalStats() async throws -> DownloaderStats? { nil }
    func apply(_ settings: GlobalSettings) async throws {}
}
