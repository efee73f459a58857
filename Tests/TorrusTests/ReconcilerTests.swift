import Foundation
import Logging
import Synchronization
import Testing

@testable import Torrus

/// Counts the store's write transactions, to prove progress is coalesced.
final class CountingRepo: DownloadStore {
    let base: any DownloadStore
    private let counts = Mutex((updates: 0, batches: 0))
    var updates: Int { counts.withLock { $0.updates } }
    var batches: Int { counts.withLock { $0.batches } }

    init(_ base: any DownloadStore) { self.base = base }

    func reportCommits(to listener: @escaping CommitListener) { base.reportCommits(to: listener) }
    func lastSequence() async throws -> Int64 { try await base.lastSequence() }
    func logDownloaderEvent(_ type: EventType) async throws { try await base.logDownloaderEvent(type) }
    func events(after sequence: Int64, limit: Int) async throws -> EventLogPage { try await base.events(after: sequence, limit: limit) }
    func createWebhook(_ webhook: Webhook) async throws -> Webhook { try await base.createWebhook(webhook) }
    func webhooks() async throws -> [Webhook] { try await base.webhooks() }
    func webhook(_ id: UUID) async throws -> Webhook? { try await base.webhook(id) }
    func updateWebhook(_ id: UUID, _ mutate: @escaping @Sendable (inout Webhook) throws -> Void) async throws -> Webhook? {
        try await base.updateWebhook(id, mutate)
    }
    func deleteWebhook(_ id: UUID) async throws -> Webhook? { try await base.deleteWebhook(id) }
    func recordDeliveries(_ id: UUID, _ report: DeliveryReport) async throws { try await base.recordDeliveries(id, report) }
    func deliveries(of id: UUID, limit: Int) async throws -> [WebhookAttempt] { try await base.deliveries(of: id, limit: limit) }

    func get(_ id: UUID) async throws -> Download? { try await base.get(id) }
    func page(_ query: DownloadQuery) async throws -> DownloadPage { try await base.page(query) }
    func list() async throws -> [Download] { try await base.list() }
    func countByStatus() async throws -> [DownloadStatus: Int] { try await base.countByStatus() }
    func countByCategory() async throws -> [String: Int] { try await base.countByCategory() }
    func globalSettings() async throws -> GlobalSettings { try await base.globalSettings() }
    func saveGlobalSettings(_ settings: GlobalSettings) async throws { try await base.saveGlobalSettings(settings) }
    func representation(of id: UUID) async throws -> [UInt8]? { try await base.representation(of: id) }
    func representations(after position: ListPosition?, limit: Int) async throws -> RepresentationPage {
        try await base.representations(after: position, limit: limit)
    }
    func find(fingerprint: String) async throws -> Download? { try await base.find(fingerprint: fingerprint) }
    func find(gid: GID) async throws -> Download? { try await base.find(gid: gid) }
    func find(gids: [GID]) async throws -> [Download] { try await base.find(gids: gids) }
    func find(infoHashes: [String]) async throws -> [Download] { try await base.find(infoHashes: infoHashes) }
    func unfinished() async throws -> [Download] { try await base.unfinished() }
    func upload(of id: UUID) async throws -> [UInt8]? { try await base.upload(of: id) }
    func categoryPaths() async throws -> [String: String] { try await base.categoryPaths() }
    func setCategoryPath(_ name: String, to path: String?) async throws -> Bool { try await base.setCategoryPath(name, to: path) }
    func insert(_ download: Download, upload: [UInt8]?) async throws -> InsertOutcome { try await base.insert(download, upload: upload) }
    func update(_ id: UUID, _ mutate: @escaping @Sendable (inout Download) throws -> Void) async throws -> DownloadUpdate? {
        counts.withLock { $0.updates += 1 }
        return try await base.update(id, mutate)
    }
    func update(byGID edits: [GIDEdit]) async throws -> [DownloadUpdate] {
        counts.withLock { $0.batches += 1 }
        return try await base.update(byGID: edits)
    }
    func delete(_ id: UUID) async throws -> Download? { try await base.delete(id) }
}

@Suite struct ReconcilerTests {
    let repo = CountingRepo(InMemoryDownloadRepo(encoding: .v1JSON))
    let reconciler: Reconciler

    init() {
        reconciler = Reconciler(events: AsyncStream { $0.finish() }, repo: repo, logger: Logger(label: "test"))
    }

    private func stored(_ download: Download) async throws -> Download {
        try #require(try await repo.get(download.id))
    }

    @Test func lifecycleEventsMoveTheStatus() async throws {
        let download = makeDownload()
        _ = try await repo.insert(download)
        let gid = download.gid!
        await reconciler.apply(DownloaderEvent(gid: gid, .started))
        #expect(try await stored(download).status == .active)
        await reconciler.apply(DownloaderEvent(gid: gid, .paused))
        #expect(try await stored(download).status == .paused)
        await reconciler.apply(DownloaderEvent(gid: gid, .queued))
        #expect(try await stored(download).status == .queued)
        await reconciler.apply(DownloaderEvent(gid: gid, .started))
        await reconciler.apply(DownloaderEvent(gid: gid, .completed))
        #expect(try await stored(download).status == .complete)
    }

    @Test func eventsOfAnotherGIDAreIgnored() async throws {
        let download = makeDownload(status: .active)
        _ = try await repo.insert(download)
        // A late terminal event of the transfer this download had before a retry.
        await reconciler.apply(DownloaderEvent(gid: .random(), .failed(DownloadFailure(code: 1, message: "old"))))
        await reconciler.apply(DownloaderEvent(gid: .random(), .completed))
        #expect(try await stored(download) == download)
    }

    @Test func aFailureStoresTheDownloadersErrorAndARetryClearsIt() async throws {
        let download = makeDownload(status: .active)
        _ = try await repo.insert(download)
        let failure = DownloadFailure(code: 3, message: "Resource not found")
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .failed(failure)))
        var current = try await stored(download)
        #expect(current.status == .failed)
        #expect(current.error == failure)

        // Terminal statuses are only left through a retry, which brings a new GID.
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .started))
        #expect(try await stored(download).status == .failed)
        let retried = GID.random()
        _ = try await repo.update(download.id) {
            $0.gid = retried
            $0.status = .queued
        }
        await reconciler.apply(DownloaderEvent(gid: retried, .started))
        current = try await stored(download)
        #expect(current.status == .active)
        #expect(current.error == nil)
    }

    @Test func aCompletionOverridesACancelRecordedWhileItWasInFlight() async throws {
        let download = makeDownload(status: .cancelled, desired: .cancelled)
        _ = try await repo.insert(download)
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .completed))
        #expect(try await stored(download).status == .complete)
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .cancelled))
        #expect(try await stored(download).status == .complete)
    }

    @Test func aGIDSwapMovesTheDownloadToTheNewGIDAndTheOldOneBecomesStale() async throws {
        let download = makeDownload(source: "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", status: .active)
        _ = try await repo.insert(download)
        let metadataGID = download.gid!
        let realGID = GID.random()
        await reconciler.apply(DownloaderEvent(gid: metadataGID, .gidSwapped(to: realGID)))
        #expect(try await stored(download).gid == realGID)
        // The metadata GID completes; that must not complete the download.
        await reconciler.apply(DownloaderEvent(gid: metadataGID, .completed))
        #expect(try await stored(download).status == .active)
        await reconciler.apply(DownloaderEvent(gid: realGID, .completed))
        #expect(try await stored(download).status == .complete)
    }

    @Test func metadataFillsNameFilesAndInfoHash() async throws {
        let download = makeDownload()
        _ = try await repo.insert(download)
        let files = [DownloadFile(path: "/data/downloads/a/1.bin", length: 10, completed: 0, index: 1)]
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .metadata(name: "a", files: files, infoHash: "ab")))
        let current = try await stored(download)
        #expect(current.name == "a")
        #expect(current.files == files)
        #expect(current.infoHash == "ab")
        // Unknown values never erase known ones.
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .metadata(name: nil, files: [], infoHash: nil)))
        #expect(try await stored(download) == current)
    }

    @Test func progressIsCoalescedIntoOneWritePerFlush() async throws {
        let downloads = (0..<1000).map { _ in makeDownload(status: .active) }
        for download in downloads { _ = try await repo.insert(download) }
        for round in 1...3 {
            for download in downloads {
                let progress = DownloadProgress(completedLength: Int64(round), totalLength: 10, downloadSpeed: 5, uploadSpeed: 0)
                await reconciler.apply(DownloaderEvent(gid: download.gid!, .progress(progress)))
            }
        }
        #expect(repo.updates == 0)
        await reconciler.flushProgress()
        #expect(repo.batches == 1)
        #expect(repo.updates == 0)
        for download in downloads.prefix(10) {
            #expect(try await stored(download).progress.completedLength == 3)
        }
        await reconciler.flushProgress()
        #expect(repo.batches == 1, "nothing pending, nothing written")
    }

    @Test func pendingProgressIsWrittenBeforeTheNextStatusEvent() async throws {
        let download = makeDownload(status: .active)
        _ = try await repo.insert(download)
        let progress = DownloadProgress(completedLength: 10, totalLength: 10, downloadSpeed: 0, uploadSpeed: 0)
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .progress(progress)))
        await reconciler.apply(DownloaderEvent(gid: download.gid!, .paused))
        let current = try await stored(download)
        #expect(current.progress == progress)
        #expect(current.status == .paused)
        #expect(repo.batches == 1, "the pending progress and the status in one write")
        #expect(repo.updates == 0)
    }

    @Test func aStatusAnsweredBeforeALaterCommandDoesNotUndoIt() async throws {
        let commands = CommandLog()
        let reconciler = Reconciler(events: AsyncStream { $0.finish() }, repo: repo, commands: commands, logger: Logger(label: "test"))
        // The service paused it (aria2 answered the pause) and recorded Paused; a `tellStatus`
        // sent just before the pause still says active.
        let download = makeDownload(status: .paused, desired: .paused)
        _ = try await repo.insert(download)
        let gid = download.gid!
        let asked = ContinuousClock.now
        commands.record(gid, sentAt: asked + .milliseconds(1))
        let progress = DownloadProgress(completedLength: 3, totalLength: 10, downloadSpeed: 1, uploadSpeed: 0)
        await reconciler.apply([
            DownloaderEvent(gid: gid, .progress(progress), observedAt: asked), DownloaderEvent(gid: gid, .started, observedAt: asked),
        ])
        await reconciler.flushProgress()
        var current = try await stored(download)
        #expect(current.status == .paused, "the stale status is dropped")
        #expect(current.progress == progress, "what else the answer said still counts")
        // Events that are not answers, and answers to calls sent after the command, apply.
        await reconciler.apply(DownloaderEvent(gid: gid, .started))
        #expect(try await stored(download).status == .active)
        await reconciler.apply(DownloaderEvent(gid: gid, .paused, observedAt: asked + .milliseconds(2)))
        #expect(try await stored(download).status == .paused)
        // A completion is a fact about the payload, never stale.
        await reconciler.apply(DownloaderEvent(gid: gid, .completed, observedAt: asked))
        current = try await stored(download)
        #expect(current.status == .complete)
    }

    @Test func whatOneAria2AnswerSaysIsOneWriteFollowingTheGIDSwap() async throws {
        let download = makeDownload(source: "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567", status: .active)
        _ = try await repo.insert(download)
        let real = GID.random()
        let files = [DownloadFile(path: "/data/downloads/a/1.bin", length: 10, completed: 10, index: 1)]
        let progress = DownloadProgress(completedLength: 10, totalLength: 10, downloadSpeed: 0, uploadSpeed: 0)
        // As `Aria2Translation` reports a finished real transfer that follows the metadata GID.
        await reconciler.apply([
            DownloaderEvent(gid: download.gid!, .gidSwapped(to: real)),
            DownloaderEvent(gid: real, .metadata(name: "a", files: files, infoHash: "ab")),
            DownloaderEvent(gid: real, .progress(progress)),
            DownloaderEvent(gid: real, .completed),
        ])
        let current = try await stored(download)
        #expect(current.gid == real)
        #expect(current.name == "a")
        #expect(current.progress == progress)
        #expect(current.status == .complete)
        #expect(repo.batches == 1)
        #expect(repo.updates == 0)
    }

    @Test func runAppliesEventsFromTheReporterAndFlushesWhenTheStreamEnds() async throws {
        let download = makeDownload()
        _ = try await repo.insert(download)
        let reporter = ChannelReporter()
        let reconciler = Reconciler(events: reporter.events, repo: repo, progressFlushInterval: .seconds(3600), logger: Logger(label: "test"))
        let progress = DownloadProgress(completedLength: 5, totalLength: 10, downloadSpeed: 1, uploadSpeed: 0)
        reporter.report(DownloaderEvent(gid: download.gid!, .started))
        reporter.report(DownloaderEvent(gid: download.gid!, .progress(progress)))
        reporter.finish()
        try await reconciler.run()
        let current = try await stored(download)
        #expect(current.status == .active)
        #expect(current.progress == progress)
    }
}
