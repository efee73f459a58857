import Foundation
import Logging

/// Makes Torrus's state match aria2's after anything may have been missed: at startup, on every
/// (re)connect, on a new aria2 session and in the periodic sweep. One `system.multicall` of
/// `tellActive`, `tellWaiting` and `tellStopped`, diffed against the store:
/// - a download aria2 knows gets the events that describe its state now;
/// - one aria2 lost is matched by info-hash (aria2 restores a magnet under its metadata GID), or
///   added again under its own GID (aria2 resumes the partial file) — unless its payload is
///   already on disk (`PayloadCheck`);
/// - finished results of finished downloads are removed from aria2 (Torrus owns history).
/// Downloads in aria2 that Torrus does not own are never touched.
///
/// The store is read by index only — the GIDs aria2 named, the info-hashes of transfers Torrus
/// does not own, and the unfinished downloads — never listed whole: a store of 100,000 finished
/// downloads costs a resync nothing.
struct Aria2Resync {
    let rpc: Aria2RPC
    let repo: any DownloadFinder
    let reporter: any Reporter
    let downloader: Aria2Downloader
    let logger: Logger
    /// How many waiting and stopped downloads one resync reads.
    static let window = 1000

    struct Summary: Sendable, Equatable {
        var known = 0
        var readded = 0
        var completedOnDisk = 0
        var conflicts = 0
        var resultsRemoved = 0
    }

    func run() async throws(Aria2Error) -> Summary {
        let keys = Aria2Status.keysParameter
        let asked = ContinuousClock.now
        let lists = try await rpc.multicall(
            [
                Aria2Call("aria2.tellActive", [keys]),
                Aria2Call("aria2.tellWaiting", [0, .number(Double(Self.window)), keys]),
                Aria2Call("aria2.tellStopped", [0, .number(Double(Self.window)), keys]),
            ],
            as: [Aria2Status].self
        )
        var statuses: [Aria2Status] = []
        for list in lists { statuses += try list.get() }
        let downloads: [Download]
        do {
            downloads = try await concerned(by: statuses)
        } catch {
            throw .malformed("cannot read the store: \(error)")
        }
        return await reconcile(aria2: statuses, torrus: downloads, askedAt: asked)
    }

    /// The downloads a resync may act on, in list order: those aria2 names (by GID, as the one
    /// followed or following, or by info-hash) and every unfinished one (aria2 may have lost it).
    private func concerned(by statuses: [Aria2Status]) async throws -> [Download] {
        var gids = Set<String>()
        for status in statuses {
            gids.insert(status.gid)
            if let following = status.following { gids.insert(following) }
            for next in status.followedBy ?? [] { gids.insert(next) }
        }
        let named = try await repo.find(gids: gids.compactMap(GID.init(rawValue:)))
        let owned = Set(named.compactMap { $0.gid?.rawValue })
        let hashes = statuses.filter { !owned.contains($0.gid) }.compactMap { $0.infoHash?.lowercased() }
        let byHash = hashes.isEmpty ? [] : try await repo.find(infoHashes: hashes)
        var byID: [UUID: Download] = [:]
        for download in try await repo.unfinished() + named + byHash { byID[download.id] = download }
        return byID.values.sorted { ListPosition($0) < ListPosition($1) }
    }

    private func reconcile(aria2 statuses: [Aria2Status], torrus downloads: [Download], askedAt asked: ContinuousClock.Instant) async -> Summary {
        var summary = Summary()
        let byGID = Dictionary(statuses.map { ($0.gid, $0) }, uniquingKeysWith: { first, _ in first })
        let byFollowing = Dictionary(statuses.compactMap { s in s.following.map { ($0, s) } }, uniquingKeysWith: { first, _ in first })
        let owned = Set(downloads.compactMap { $0.gid?.rawValue })
        // After an aria2 restart a magnet comes back under its metadata GID; match it by info-hash.
        let byInfoHash = Dictionary(
            statuses.compactMap { s in s.infoHash.map { ($0.lowercased(), s) } }.filter { !owned.contains($0.1.gid) },
            uniquingKeysWith: { first, second in first.followedBy == nil ? first : second }
        )

        var events: [DownloaderEvent] = []
        var lost: [Download] = []
        for download in downloads {
            guard let gid = download.gid else { continue }
            if let status = byGID[gid.rawValue] ?? byFollowing[gid.rawValue] {
                summary.known += 1
                events += Aria2Translation.events(for: status)
                if let next = status.followedBy?.first, let followed = byGID[next] {
                    events += Aria2Translation.events(for: followed)
                }
            } else if let hash = download.infoHash, let status = byInfoHash[hash], let newGID = status.gidValue {
                summary.known += 1
                events.append(DownloaderEvent(gid: gid, .gidSwapped(to: newGID)))
                events += Aria2Translation.events(for: status)
            } else if !download.status.isTerminal {
                lost.append(download)
            }
        }
        // One batch: the whole resync is one store write.
        reporter.report(events.observed(at: asked))

        for download in await stillLost(lost) {
            await readd(download, summary: &summary)
        }
        summary.resultsRemoved = await removeFinishedResults(statuses, downloads: downloads)
        return summary
    }

    private func readd(_ download: Download, summary: inout Summary) async {
        let gid = download.gid!
        if download.desiredStatus == .cancelled {
            reporter.report(DownloaderEvent(gid: gid, .cancelled))
            return
        }
        switch PayloadCheck.of(download) {
        case .complete:
            summary.completedOnDisk += 1
            reporter.report(DownloaderEvent(gid: gid, .completed))
        case .conflict(let message):
            summary.conflicts += 1
            reporter.report(DownloaderEvent(gid: gid, .failed(DownloadFailure(code: 13, message: message))))
        case .addAgain:
            var again = download
            // Paused stays paused; everything else goes back into aria2's queue.
            if download.status == .paused || download.desiredStatus == .paused { again.desiredStatus = .paused }
            do {
                try await downloader.start(again)
                summary.readded += 1
                logger.info("Re-added a download aria2 had lost", metadata: ["download": "\(download.id.lowercasedString)", "gid": "\(gid)"])
            } catch {
                logger.warning("Could not re-add a download aria2 had lost", metadata: ["gid": "\(gid)", "error": "\(error)"])
            }
        }
    }

    /// The lists were read a moment ago: a download created since then is being added by its own
    /// request right now. One multicall asks again for all of them; those aria2 knows by now are
    /// not added a second time.
    private func stillLost(_ lost: [Download]) async -> [Download] {
        guard !lost.isEmpty else { return [] }
        let calls = lost.map { Aria2Call("aria2.tellStatus", [.string($0.gid!.rawValue), ["gid"]]) }
        guard let results = try? await rpc.multicall(calls, as: Aria2RPC.Ignored.self) else { return lost }
        return zip(lost, results).compactMap { download, result in
            if case .failure(let error) = result, error.isGIDNotFound { return download }
            return nil
        }
    }

    /// Stopped results of downloads Torrus has already recorded as finished, and of metadata
    /// transfers that handed over to a download Torrus owns, in one multicall.
    private func removeFinishedResults(_ statuses: [Aria2Status], downloads: [Download]) async -> Int {
        let finished = Set(downloads.filter(\.status.isTerminal).compactMap { $0.gid?.rawValue })
        let owned = Set(downloads.compactMap { $0.gid?.rawValue })
        let removable = statuses.filter { status in
            guard status.status.isStopped else { return false }
            if finished.contains(status.gid) { return true }
            return status.followedBy?.contains(where: owned.contains) ?? false
        }
        guard !removable.isEmpty else { return 0 }
        let calls = removable.map { Aria2Call("aria2.removeDownloadResult", [.string($0.gid)]) }
        let results = (try? await rpc.multicall(calls, as: Aria2RPC.Ignored.self)) ?? []
        return results.filter { if case .success = $0 { true } else { false } }.count
    }
}
