import Foundation
import Logging
import NIOCore

/// The rules of Torrus (request path: handler → service → repo / downloader): validation,
/// idempotent create, the transition table, and what is stored when the downloader fails.
///
/// Logging uses `Logger.current`, which the request middleware binds with the request id, so
/// everything a request starts carries it.
public struct DownloadService: Sendable {
    private let repo: any DownloadRepo
    private let downloader: any Downloader
    private let roots: DownloadRoots
    private let commands: CommandLog
    private let locks = KeyedLock()
    /// Each category's default target directory, for creates that name none.
    private let categories: (any CategoryStore)?

    public init(
        repo: any DownloadRepo,
        downloader: any Downloader,
        roots: DownloadRoots,
        commands: CommandLog = CommandLog(),
        categories: (any CategoryStore)? = nil
    ) {
        self.categories = categories
        self.commands = commands
        self.repo = repo
        self.downloader = downloader
        self.roots = roots
    }

    public func get(_ id: UUID) async throws -> Download {
        guard let download = try await repo.get(id) else { throw Self.notFound(id) }
        return download
    }

    /// A download as the API shows it, stored with it (`DownloadEncoding`).
    public func representation(of id: UUID) async throws -> [UInt8] {
        guard let representation = try await repo.representation(of: id) else { throw Self.notFound(id) }
        return representation
    }

    /// The list as the API shows it: whole when it holds fewer than `limit` downloads, else its
    /// first page.
    public func representationList(limit: Int) async throws -> ListSnapshot {
        try await repo.listSnapshot(limit: limit)
    }

    /// `GET /v1/stats`: the store's counts, and the downloader's totals — nil, with why, when it
    /// cannot be asked (the counts are Torrus's own and always there).
    public func stats() async throws -> (counts: [DownloadStatus: Int], downloader: DownloaderStats?, downloaderError: String?) {
        let counts = try await repo.countByStatus()
        do {
            return (counts, try await downloader.globalStats(), nil)
        } catch let error as TorrusError {
            return (counts, nil, error.message)
        } catch {
            return (counts, nil, "The downloader could not be reached.")
        }
    }

    /// A filtered, sorted page as the API shows it.
    public func page(_ query: DownloadQuery) async throws -> DownloadPage {
        try await repo.page(query)
    }

    /// A page of the list as the API shows it.
    public func representations(after position: ListPosition?, limit: Int) async throws -> RepresentationPage {
        try await repo.representations(after: position, limit: limit)
    }

    /// What `POST /v1/downloads` asks for, before validation.
    public struct CreateRequest: Sendable {
        /// The file's URIs: the first is `source`, the others its mirrors.
        public var sources: [String]
        public var targetPath: String?
        public var desiredStatus: DesiredStatus?
        public var options: DownloadOptions
        public var category: String?
        public var tags: [String]
        /// A `.torrent` or metalink to download from instead of `sources` (which are then empty).
        public var upload: UploadedFile?

        public init(
            sources: [String],
            targetPath: String? = nil,
            desiredStatus: DesiredStatus? = nil,
            options: DownloadOptions = DownloadOptions(),
            category: String? = nil,
            tags: [String] = [],
            upload: UploadedFile? = nil
        ) {
            self.upload = upload
            self.sources = sources
            self.targetPath = targetPath
            self.desiredStatus = desiredStatus
            self.options = options
            self.category = category
            self.tags = tags
        }

        public init(source: String, targetPath: String? = nil, desiredStatus: DesiredStatus? = nil) {
            self.init(sources: [source], targetPath: targetPath, desiredStatus: desiredStatus)
        }
    }

    /// Creates a download, or returns the existing one with the same fingerprint (`created` false).
    /// Only the request that stored the download starts it, however many arrive at once.
    public func create(_ request: CreateRequest) async throws -> (download: Download, created: Bool) {
        let what = try Self.origin(of: request)
        try DownloadOptionRules.validate(request.options, source: what.source, upload: what.upload?.kind, fileCount: what.fileCount)
        if let category = request.category { try DownloadOptionRules.validateLabel(category, field: "category") }
        try DownloadOptionRules.validateTags(request.tags)
        var requestedPath = request.targetPath
        if requestedPath == nil, let category = request.category, let path = try await categories?.categoryPaths()[category] {
            requestedPath = path
        }
        let targetPath = try roots.resolve(requestedPath)
        // Created now, as a real directory below its root: nobody can later plant a symbolic
        // link where the downloader will write.
        try roots.prepare(targetPath)
        let desired = request.desiredStatus ?? .queued
        guard desired != .cancelled else {
            throw TorrusError.invalidInput("desiredStatus of a new download must be Queued, Active or Paused.")
        }
        let fingerprint = what.fingerprint(targetPath, request.options.out)
        if let existing = try await repo.find(fingerprint: fingerprint) {
            guard existing.targetPath == targetPath else {
                throw TorrusError.conflict(
                    "This torrent is already download \(existing.id.lowercasedString), into another targetPath; aria2 runs one transfer per info-hash."
                )
            }
            return (existing, false)
        }

        // The GID is generated and stored before the downloader hears of it, so a crash in
        // between leaves a download Torrus can re-add, never a transfer nobody owns.
        let download = Download(
            gid: .random(),
            source: what.source,
            targetPath: targetPath,
            fingerprint: fingerprint,
            name: request.options.out ?? what.name,
            status: desired == .paused ? .paused : .queued,
            desiredStatus: desired,
            infoHash: what.infoHash,
            mirrors: what.mirrors,
            options: request.options,
            category: request.category,
            tags: request.tags,
            upload: what.upload,
            createdAt: .nowMilliseconds()
        )
        guard case .inserted(let stored) = try await repo.insert(download, upload: request.upload?.bytes) else {
            return (try await repo.find(fingerprint: fingerprint) ?? download, false)
        }
        Logger.current.info("Download created", metadata: ["download": "\(stored.id.lowercasedString)", "gid": "\(stored.gid!)"])
        try await call(.start, stored)
        return (stored, true)
    }

    /// What a create downloads, checked: its URIs, or the file it uploaded.
    private static func origin(of request: CreateRequest) throws -> DownloadOrigin {
        guard let file = request.upload else { return .uris(try validateSources(request.sources)) }
        guard request.sources.isEmpty else { throw TorrusError.invalidInput("Give source, sources or an uploaded file, only one of them.") }
        return try DownloadOrigin(file)
    }

    /// Each URI checked; several are mirrors of one file, so none may be a magnet, and none may repeat.
    static func validateSources(_ raw: [String]) throws -> [String] {
        guard raw.count <= DownloadOptionRules.maxMirrors else {
            throw TorrusError.invalidInput("sources: at most \(DownloadOptionRules.maxMirrors) URIs of one file.")
        }
        let sources = try raw.map(SourceURI.validate)
        if sources.count > 1 {
            guard !sources.contains(where: { $0.lowercased().hasPrefix("magnet:") }) else {
                throw TorrusError.invalidInput("sources: a magnet link stands alone; mirrors are http, https, ftp or sftp URIs of one file.")
            }
            guard Set(sources).count == sources.count else { throw TorrusError.invalidInput("sources must not repeat.") }
        }
        return sources
    }

    /// `PATCH /v1/downloads/{id}`: moves a download towards `requested` along the transition table.
    /// When the downloader fails, the wish is kept and the actual status is left as it was.
    public func setDesiredStatus(_ id: UUID, to requested: RequestedStatus) async throws -> Download {
        try await locks.withLock(id) {
            let download = try await get(id)
            let plan = try Transitions.plan(status: download.status, desired: download.desiredStatus, requested: requested).get()
            switch plan {
            case .unchanged:
                return download
            case .recordDesired:
                return try await write(id) { $0.desiredStatus = requested.desired }
            case .command(.retry):
                return try await retry(download)
            case .command(let command):
                let wanted = try await write(id) { $0.desiredStatus = requested.desired }
                let sent = ContinuousClock.now
                try await call(Call(command), wanted)
                // Answers to calls sent before this one no longer decide the status.
                if let gid = wanted.gid { commands.record(gid, sentAt: sent) }
                return try await settle(wanted, after: command)
            }
        }
    }

    /// `PATCH` of options, category or tags. The downloader applies the options first (a
    /// download it does not have gets them when it is added again); if it fails, nothing changes.
    public func change(_ id: UUID, _ settings: DownloadSettingsChange) async throws -> Download {
        try await locks.withLock(id) {
            let download = try await get(id)
            var changed = DownloadOptions()
            var options = download.options
            if let given = settings.options {
                if let limit = given.maxDownloadLimit { (changed.maxDownloadLimit, options.maxDownloadLimit) = (limit, limit) }
                if let files = given.selectFiles { (changed.selectFiles, options.selectFiles) = (files, files) }
                if let ratio = given.seedRatio { (changed.seedRatio, options.seedRatio) = (ratio, ratio) }
                if let time = given.seedTime { (changed.seedTime, options.seedTime) = (time, time) }
                try DownloadOptionRules.validate(
                    changed,
                    source: download.source,
                    upload: download.upload?.kind,
                    fileCount: download.files.isEmpty ? nil : download.files.count
                )
            }
            // An empty category clears it (null means "not given", as everywhere in the API).
            let category = settings.category.map { $0.isEmpty ? nil : $0 }
            if let category, let label = category { try DownloadOptionRules.validateLabel(label, field: "category") }
            if let tags = settings.tags { try DownloadOptionRules.validateTags(tags) }
            if !changed.isEmpty, !download.status.isTerminal { try await call(.change(changed), download) }
            return try await write(id) { [options] in
                $0.options = options
                if let category { $0.category = category }
                if let tags = settings.tags { $0.tags = tags }
            }
        }
    }

    /// What a bulk pause or resume did: the downloads it changed, those already as asked, and
    /// those it refused (with why).
    public struct BulkResult: Sendable, Equatable {
        public var changed: [UUID] = []
        public var unchanged: [UUID] = []
        public var refused: [(id: UUID, reason: String)] = []

        public static func == (lhs: BulkResult, rhs: BulkResult) -> Bool {
            lhs.changed == rhs.changed && lhs.unchanged == rhs.unchanged && lhs.refused.map(\.id) == rhs.refused.map(\.id)
        }
    }

    /// `POST /v1/downloads/pause` and `/resume`: the transition table for each selected download
    /// (the ids, else the category's, else all), the wishes in one store write, the downloader
    /// told in one batch (one aria2 round trip), the new statuses in one more write. A Failed or
    /// Cancelled download is not retried in bulk (retry it on its own).
    public func bulk(_ requested: RequestedStatus, ids: [UUID]?, category: String?) async throws -> BulkResult {
        var result = BulkResult()
        var selected: [Download] = []
        if let ids {
            for id in ids {
                if let download = try await repo.get(id) {
                    selected.append(download)
                } else {
                    result.refused.append((id, "There is no such download."))
                }
            }
        } else {
            selected = try await repo.list().filter { category == nil || $0.category == category }
        }
        var wishes: [Download] = []
        var commanded: [Download] = []
        for download in selected {
            switch Transitions.plan(status: download.status, desired: download.desiredStatus, requested: requested) {
            case .success(.unchanged): result.unchanged.append(download.id)
            case .success(.recordDesired): wishes.append(download)
            case .success(.command(.retry)):
                result.refused.append((download.id, "A \(download.status.rawValue) download is retried on its own (PATCH)."))
            case .success(.command): commanded.append(download)
            case .failure(let error): result.refused.append((download.id, error.message))
            }
        }
        let desired = requested.desired
        _ = try await repo.update(
            byGID: (wishes + commanded).compactMap { download in
                download.gid.map { GIDEdit($0) { $0.desiredStatus = desired } }
            }
        )
        result.changed += wishes.map(\.id)
        guard !commanded.isEmpty else { return result }
        let sent = ContinuousClock.now
        let failures = requested == .paused ? await downloader.pause(commanded) : await downloader.resume(commanded)
        let done = commanded.filter { failures[$0.id] == nil }
        for download in done { if let gid = download.gid { commands.record(gid, sentAt: sent) } }
        let target: DownloadStatus = requested == .paused ? .paused : .queued
        // As `settle`: unless an event got there first.
        _ = try await repo.update(
            byGID: done.compactMap { download in
                download.gid.map { gid in
                    GIDEdit(gid) {
                        guard $0.status == download.status else { return }
                        $0.status = target
                    }
                }
            }
        )
        result.changed += done.map(\.id)
        result.refused += commanded.compactMap { download in failures[download.id].map { (download.id, $0.message) } }
        return result
    }

    /// `DELETE /v1/downloads/{id}`: the downloader forgets it (and its files, if asked), then the
    /// store does. If the downloader fails, nothing is deleted.
    public func delete(_ id: UUID, deleteFiles: Bool) async throws {
        try await locks.withLock(id) {
            let download = try await get(id)
            try await call(.purge(deleteFiles: deleteFiles), download)
            _ = try await repo.delete(id)
            Logger.current.info("Download deleted", metadata: ["download": "\(id.lowercasedString)", "deleteFiles": "\(deleteFiles)"])
        }
    }

    /// A Failed or Cancelled download starts over under a new GID, so late events of the old
    /// transfer are recognised as stale. The GID and the wish are stored first; the status only
    /// changes once the downloader has accepted the download.
    private func retry(_ download: Download) async throws -> Download {
        let gid = GID.random()
        let wanted = try await write(download.id) {
            $0.gid = gid
            $0.desiredStatus = .active
        }
        try await call(.start, wanted)
        return try await write(download.id) {
            guard $0.gid == gid, $0.status == download.status else { return }
            $0.status = .queued
            $0.error = nil
            $0.progress = .zero
            $0.completedAt = nil
        }
    }

    /// Records the status a successful command leads to, unless an event got there first (the
    /// reconciler may already have applied the downloader's own report of the change).
    private func settle(_ download: Download, after command: DownloadCommand) async throws -> Download {
        let target: DownloadStatus =
            switch command {
            case .resume, .retry: .queued
            case .pause: .paused
            case .cancel: .cancelled
            }
        return try await write(download.id) {
            guard $0.gid == download.gid, $0.status == download.status else { return }
            $0.status = target
            if target.isTerminal { $0.progress.stop() }
            if target != .active { $0.progress.connections = 0 }
        }
    }

    private func write(_ id: UUID, _ mutate: @escaping @Sendable (inout Download) -> Void) async throws -> Download {
        guard let update = try await repo.update(id, mutate) else { throw Self.notFound(id) }
        return update.new
    }

    private enum Call {
        case start, pause, resume, cancel
        case purge(deleteFiles: Bool)
        case change(DownloadOptions)

        init(_ command: DownloadCommand) {
            switch command {
            case .resume: self = .resume
            case .pause: self = .pause
            case .cancel: self = .cancel
            case .retry: self = .start
            }
        }
    }

    /// Every downloader call goes through here: one place that turns unexpected errors into a
    /// `downloaderUnavailable` TorrusError and logs the failure.
    private func call(_ call: Call, _ download: Download) async throws {
        do {
            switch call {
            case .start: try await downloader.start(download)
            case .pause: try await downloader.pause(download)
            case .resume: try await downloader.resume(download)
            case .cancel: try await downloader.cancel(download)
            case .purge(let deleteFiles): try await downloader.purge(download, deleteFiles: deleteFiles)
            case .change(let options): try await downloader.change(download, options: options)
            }
        } catch {
            let failure =
                error as? TorrusError ?? .downloaderUnavailable("The downloader could not be reached: \(error)")
            Logger.current.warning(
                "Downloader call failed",
                metadata: ["download": "\(download.id.lowercasedString)", "call": "\(call)", "error": "\(failure)"]
            )
            throw failure
        }
    }

    private static func notFound(_ id: UUID) -> TorrusError {
        .notFound("No download with id \(id.lowercasedString).")
    }
}
