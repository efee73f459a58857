/// Torrus owns history: once the store says a download finished (or moved to its real GID),
/// aria2's result for it is removed, so aria2's capped stopped list never decides anything. Fed
/// by the change feed, so it hears of every such change whoever made it.
struct Aria2Janitor: Sendable {
    let rpc: Aria2RPC
    let feed: ChangeFeed

    /// Ends when the feed finishes or the task is cancelled.
    func run() async {
        for await committed in feed.subscribe() {
            guard case .updated(let old, let new)? = committed.change else { continue }
            var finished: [String] = []
            if let oldGID = old.gid, oldGID != new.gid { finished.append(oldGID.rawValue) }
            if new.status.isTerminal, !old.status.isTerminal || old.gid != new.gid, let gid = new.gid { finished.append(gid.rawValue) }
            for gid in finished {
                // Fails while a finished torrent still seeds; the sweep removes it later.
                try? await rpc.call("aria2.removeDownloadResult", [.string(gid)])
            }
        }
    }
}
