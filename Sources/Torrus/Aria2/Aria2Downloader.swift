import Foundation
import Logging

/// The `Downloader` commands in aria2's terms. The event side (notifications, resync, progress)
/// lives in `Aria2Adapter`; this type only translates calls.
struct Aria2Downloader: Downloader {
    let rpc: Aria2RPC
    /// Told when something may have become active, so the progress poll starts at once.
    let poller: Aria2ProgressPoller
    /// Where aria2 may write; checked again at every hand-over.
    let roots: DownloadRoots
    /// A download refused at hand-over fails through the event path, like any other failure.
    let reporter: any Reporter
    /// Where the files that uploaded downloads were made from are kept.
    let uploads: any DownloadFinder
    let logger: Logger

    /// `addUri` under Torrus's own GID. `auto-file-renaming=false` makes aria2 refuse to write
    /// `name.1` next to an existing file: a re-add never produces a second copy.
    ///
    /// A download that failed because its server cannot resume (aria2's code 8: the server
    /// ignores HTTP ranges) starts over cleanly: its partial file and `.aria2` control file go
    /// first, or aria2 would try to resume them and fail the same way on every retry. (aria2's
    /// own `always-resume=false` is no way out: aria2 1.36 frees memory its disk cache still
    /// uses when it falls back to a full download, and crashes — aria2 issue #2384.)
    func start(_ download: Download) async throws {
        let gid = try Self.gid(of: download)
        try handOver(download, gid: gid)
        if download.error?.code == 8 { await removePartialPayload(of: download, gid: gid) }
        var options = Aria2Options.of(download.options)
        options["gid"] = .string(gid.rawValue)
        options["dir"] = .string(download.targetPath)
        options["auto-file-renaming"] = "false"
        if download.desiredStatus == .paused { options["pause"] = "true" }
        let method: String
        var params: [JSONValue]
        if let upload = download.upload {
            // The file goes as base64, as aria2 takes it, with no web seeds.
            let file = try await uploadedFile(of: download)
            switch upload.kind {
            case .torrent: (method, params) = ("aria2.addTorrent", [.base64(file), [], .object(options)])
            }
        } else {
            // The mirrors are more URIs of one download: aria2 fetches pieces from each.
            let uris = ([download.source] + download.mirrors).map(JSONValue.string)
            (method, params) = ("aria2.addUri", [.array(uris), .object(options)])
        }
        // Active means "ahead of the queue"; aria2 still starts it only when a slot is free.
        if download.desiredStatus == .active { params.append(0) }
        try await run { try await rpc.call(method, params) }
        poller.wake(watching: gid)
    }

    private func uploadedFile(of download: Download) async throws -> Data {
        let bytes: [UInt8]?
        do {
            bytes = try await uploads.upload(of: download.id)
        } catch {
            throw TorrusError.downloaderUnavailable("The uploaded file of this download could not be read from the store: \(error)")
        }
        guard let bytes else {
            throw TorrusError.conflict("The uploaded file of this download is missing from the store; create the download again.")
        }
        return Data(bytes)
    }

    /// `pause`, or `forcePause` when aria2 does not manage a graceful pause in time. A GID aria2
    /// does not know is not an error: there is nothing to pause (resync re-adds it paused).
    func pause(_ download: Download) async throws {
        let gid = try Self.gid(of: download)
        do {
            try await rpc.call("aria2.pause", [.string(gid.rawValue)], timeout: min(rpc.timeout, .seconds(2)))
        } catch .timeout {
            try await run { try await rpc.call("aria2.forcePause", [.string(gid.rawValue)]) }
        } catch let error where error.isGIDNotFound {
            logger.info("Pause of a download aria2 does not know", metadata: ["gid": "\(gid)"])
        } catch {
            throw error.torrusError
        }
    }

    /// `unpause`; a download aria2 no longer knows (aria2 lost it) is added again, resuming its
    /// partial file.
    func resume(_ download: Download) async throws {
        let gid = try Self.gid(of: download)
        do {
            try handOver(download, gid: gid)
        } catch {
            // Refused: aria2 must not keep it either, or an unpause later would write there.
            try? await ignoringNotFound { try await rpc.call("aria2.forceRemove", [.string(gid.rawValue)]) }
            throw error
        }
        do {
            try await rpc.call("aria2.unpause", [.string(gid.rawValue)])
        } catch {
            let status: Aria2Status
            do {
                status = try await rpc.call("aria2.tellStatus", [.string(gid.rawValue), ["gid", "status"]])
            } catch let lookup where lookup.isGIDNotFound {
                var again = download
                again.desiredStatus = .active
                try await start(again)
                return
            } catch let lookup {
                throw lookup.torrusError
            }
            // "cannot be unpaused now" for a download that is already waiting or active is fine.
            guard status.status == .active || status.status == .waiting else { throw error.torrusError }
        }
        poller.wake(watching: gid)
    }

    /// One `system.multicall` of `aria2.pause`; a GID aria2 does not know is fine (resync re-adds
    /// it paused). What failed otherwise is tried once more on its own.
    func pause(_ downloads: [Download]) async -> [UUID: TorrusError] {
        await batch(downloads, "aria2.pause") { try await pause($0) }
    }

    /// One `system.multicall` of `aria2.unpause`; what aria2 refused (a download it lost, one
    /// already waiting) takes the single path, which knows those cases.
    func resume(_ downloads: [Download]) async -> [UUID: TorrusError] {
        for download in downloads {
            if let gid = download.gid { poller.wake(watching: gid) }
        }
        return await batch(downloads, "aria2.unpause", tolerateNotFound: false) { try await resume($0) }
    }

    private func batch(
        _ downloads: [Download],
        _ method: String,
        tolerateNotFound: Bool = true,
        single: (Download) async throws -> Void
    ) async -> [UUID: TorrusError] {
        let addressed = downloads.filter { $0.gid != nil }
        var again = downloads.filter { $0.gid == nil }
        do {
            let results = try await rpc.multicall(addressed.map { Aria2Call(method, [.string($0.gid!.rawValue)]) }, as: String.self)
            for (download, result) in zip(addressed, results) {
                if case .failure(let error) = result, !(tolerateNotFound && error.isGIDNotFound) { again.append(download) }
            }
        } catch {
            again += addressed
        }
        return await each(again, single)
    }

    /// `remove`, or `forceRemove` when aria2 does not stop it in time. Already gone is fine.
    func cancel(_ download: Download) async throws {
        let gid = try Self.gid(of: download)
        do {
            try await rpc.call("aria2.remove", [.string(gid.rawValue)], timeout: min(rpc.timeout, .seconds(2)))
        } catch .timeout {
            try await run { try await rpc.call("aria2.forceRemove", [.string(gid.rawValue)]) }
        } catch let error where error.isGIDNotFound {
            return
        } catch {
            throw error.torrusError
        }
    }

    /// `forceRemove` and `removeDownloadResult` (for the metadata GID too), then, if asked, the
    /// payload and its `.aria2` control files under the `PayloadRemover` rules.
    func purge(_ download: Download, deleteFiles: Bool) async throws {
        guard let gid = download.gid else { return }
        let status: Aria2Status?
        do {
            status = try await rpc.call("aria2.tellStatus", [.string(gid.rawValue), ["gid", "status", "following", "files"]])
        } catch let error where error.isGIDNotFound {
            status = nil
        } catch {
            throw error.torrusError
        }
        let gids = [gid.rawValue] + (status?.following.map { [$0] } ?? [])
        if let status, status.status.isQueued {
            try await ignoringNotFound { try await rpc.call("aria2.forceRemove", [.string(gid.rawValue)]) }
            try await waitUntilStopped(gid)
        }
        for stale in gids {
            try await ignoringNotFound { try await rpc.call("aria2.removeDownloadResult", [.string(stale)]) }
        }
        guard deleteFiles else { return }
        await removePayload(of: download, files: download.files.map(\.path) + (status?.payloadFiles.map(\.path) ?? []), gid: gid)
    }

    private func removePartialPayload(of download: Download, gid: GID) async {
        logger.info("Starting over: the server cannot resume the partial file", metadata: ["gid": "\(gid)"])
        await removePayload(of: download, files: download.files.map(\.path), gid: gid)
    }

    /// The `PayloadRemover` walk from the download's root, so a `targetPath` replaced by a
    /// symbolic link deletes nothing.
    private func removePayload(of download: Download, files: [String], gid: GID) async {
        guard let root = roots.root(containing: download.targetPath) else {
            logger.warning("Files left in place: the download's targetPath is in none of the download roots", metadata: ["gid": "\(gid)"])
            return
        }
        let report = await PayloadRemover().remove(files: Array(Set(files)), name: download.name, in: download.targetPath, root: root)
        logger.info(
            "Deleted download files",
            metadata: ["gid": "\(gid)", "removed": "\(report.removed.count)", "skipped": "\(report.skipped)"]
        )
    }

    /// `forceRemove` returns before aria2 has closed the files; deleting them earlier would race
    /// with aria2's last writes.
    private func waitUntilStopped(_ gid: GID) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            do {
                let status: Aria2Status = try await rpc.call("aria2.tellStatus", [.string(gid.rawValue), ["gid", "status"]])
                if !status.status.isQueued { return }
            } catch let error where error.isGIDNotFound {
                return
            } catch {
                throw error.torrusError
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TorrusError.downloaderUnavailable("aria2 did not stop GID \(gid) within 5 s")
    }

    /// Every hand-over to aria2 (create, resume, retry, re-add after a resync) passes here, so a
    /// value stored before today's rules, or a directory replaced by a symbolic link since the
    /// download was created, never reaches aria2: the download fails with the reason instead.
    private func handOver(_ download: Download, gid: GID) throws {
        let failure: DownloadFailure
        if let control = TextRules.firstControl(in: download.source) ?? TextRules.firstControl(in: download.targetPath) {
            // aria2's code 28: an option (or URI) aria2 must not be given.
            failure = DownloadFailure(
                code: 28,
                message: "Not handed to aria2: the source or targetPath holds a control character (\(TextRules.describe(control.value)))"
            )
        } else {
            do {
                try roots.prepare(download.targetPath)
                return
            } catch {
                // aria2's code 18: the directory cannot be created (safely).
                failure = DownloadFailure(code: 18, message: "Not handed to aria2: \((error as? TorrusError)?.message ?? "\(error)")")
            }
        }
        logger.warning("Download refused at hand-over", metadata: ["gid": "\(gid)", "reason": "\(failure.message)"])
        reporter.report(DownloaderEvent(gid: gid, .failed(failure)))
        throw TorrusError.conflict(failure.message)
    }

    /// Runs aria2 calls, reporting their failures as the service expects them.
    /// `changeGlobalOption` with what is set.
    func apply(_ settings: GlobalSettings) async throws {
        var values: [String: JSONValue] = [:]
        if let limit = settings.maxDownloadLimit { values["max-overall-download-limit"] = .string(String(limit)) }
        if let limit = settings.maxUploadLimit { values["max-overall-upload-limit"] = .string(String(limit)) }
        if let count = settings.maxConcurrentDownloads { values["max-concurrent-downloads"] = .string(String(count)) }
        guard !values.isEmpty else { return }
        try await run { try await rpc.call("aria2.changeGlobalOption", [.object(values)]) }
    }

    /// `getGlobalStat`: aria2 answers every number as a string.
    func globalStats() async throws -> DownloaderStats? {
        struct Answer: Decodable {
            let downloadSpeed, uploadSpeed, numActive, numWaiting, numStopped: String
        }
        do {
            let answer: Answer = try await rpc.call("aria2.getGlobalStat")
            return DownloaderStats(
                downloadSpeed: Int64(answer.downloadSpeed) ?? 0,
                uploadSpeed: Int64(answer.uploadSpeed) ?? 0,
                numActive: Int(answer.numActive) ?? 0,
                numWaiting: Int(answer.numWaiting) ?? 0,
                numStopped: Int(answer.numStopped) ?? 0
            )
        } catch {
            throw error.torrusError
        }
    }

    /// `changeOption` with what changed; a GID aria2 does not know gets them when it is re-added.
    func change(_ download: Download, options: DownloadOptions) async throws {
        let values = Aria2Options.changeable(options)
        guard !values.isEmpty else { return }
        let gid = try Self.gid(of: download)
        try await ignoringNotFound { try await rpc.call("aria2.changeOption", [.string(gid.rawValue), .object(values)]) }
    }

    private func run(_ body: () async throws -> Void) async throws {
        do { try await body() } catch let error as Aria2Error { throw error.torrusError }
    }

    private func ignoringNotFound(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as Aria2Error {
            if !error.isGIDNotFound { throw error.torrusError }
        }
    }

    private static func gid(of download: Download) throws -> GID {
        guard let gid = download.gid else { throw TorrusError.downloaderRejected("The download has no GID.") }
        return gid
    }
}
