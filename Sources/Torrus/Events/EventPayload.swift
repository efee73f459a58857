import Foundation

/// What the event log says about one change: its type and the JSON object clients receive.
/// Every object has `at`, when the change was committed (RFC 3339, microseconds); a download's
/// event has its `id` and what changed — the whole download (`download`, its v1 JSON) for
/// `created` and `status`. Keys are sorted, as in the rest of the API.
///
/// One change is one event, so its sequence number is the event's id: an update that changed the
/// status (or desired status) is a `status` event whatever else changed (the whole download says
/// it); else one that changed the name, files, GID, info-hash, options, category or tags is a
/// `meta` event (with the progress when that changed too); else a `progress` event. Wherever
/// `progress` is sent, `seeding` is sent next to it (it changes with what aria2 reports, and a
/// torrent that stops seeding changes nothing else).
public enum EventPayload {
    public static func event(for change: DownloadChange, representation: [UInt8]?, at microseconds: Int64) -> UnnumberedEvent {
        var out: [UInt8] = []
        out.reserveCapacity(64 + (representation?.count ?? 0))
        out.append(contentsOf: #"{"at":""#.utf8)
        RFC3339.append(microsecondsSince1970: microseconds, to: &out)
        out.append(UInt8(ascii: "\""))
        let type: EventType
        switch change {
        case .created(let download):
            type = .downloadCreated
            appendWhole(download, representation, to: &out)
            appendID(download.id, to: &out)
        case .deleted(let download):
            type = .downloadDeleted
            appendID(download.id, to: &out)
        case .updated(let old, let new) where old.status != new.status || old.desiredStatus != new.desiredStatus || old.error != new.error:
            type = .downloadStatus
            appendWhole(new, representation, to: &out)
            out.append(contentsOf: #","from":""#.utf8)
            out.append(contentsOf: old.status.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
            appendID(new.id, to: &out)
            out.append(contentsOf: #","to":""#.utf8)
            out.append(contentsOf: new.status.rawValue.utf8)
            out.append(UInt8(ascii: "\""))
        case .updated(let old, let new) where Self.metaChanged(old, new):
            type = .downloadMeta
            out.append(contentsOf: #","category":"#.utf8)
            JSONText.optionalString(new.category, to: &out)
            out.append(contentsOf: #","files":"#.utf8)
            DownloadJSON.appendFiles(new.files, to: &out)
            out.append(contentsOf: #","gid":"#.utf8)
            JSONText.optionalString(new.gid?.rawValue, to: &out)
            appendID(new.id, to: &out)
            out.append(contentsOf: #","infoHash":"#.utf8)
            JSONText.optionalString(new.infoHash, to: &out)
            out.append(contentsOf: #","name":"#.utf8)
            JSONText.optionalString(new.name, to: &out)
            out.append(contentsOf: #","options":"#.utf8)
            DownloadJSON.appendOptions(new.options, to: &out)
            if old.progress != new.progress {
                out.append(contentsOf: #","progress":"#.utf8)
                DownloadJSON.appendProgress(of: new, to: &out)
                out.append(contentsOf: #","seeding":"#.utf8)
                DownloadJSON.appendBool(new.progress.seeding, to: &out)
            }
            out.append(contentsOf: #","tags":"#.utf8)
            DownloadJSON.appendStrings(new.tags, to: &out)
        case .updated(_, let new):
            type = .downloadProgress
            appendID(new.id, to: &out)
            out.append(contentsOf: #","progress":"#.utf8)
            DownloadJSON.appendProgress(of: new, to: &out)
            out.append(contentsOf: #","seeding":"#.utf8)
            DownloadJSON.appendBool(new.progress.seeding, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return UnnumberedEvent(type: type, downloadID: change.download.id, at: microseconds, data: out)
    }

    /// What a `meta` event is about changed: the payload's identity, or what the user set.
    private static func metaChanged(_ old: Download, _ new: Download) -> Bool {
        old.name != new.name || old.files != new.files || old.gid != new.gid || old.infoHash != new.infoHash
            || old.options != new.options || old.category != new.category || old.tags != new.tags
    }

    /// An event of the downloader itself (`downloader.connected`, `downloader.disconnected`).
    public static func downloaderEvent(_ type: EventType, at microseconds: Int64) -> UnnumberedEvent {
        UnnumberedEvent(type: type, downloadID: nil, at: microseconds, data: atOnly(microseconds))
    }

    /// `{"at":"…"}`.
    static func atOnly(_ microseconds: Int64) -> [UInt8] {
        var out = Array(#"{"at":""#.utf8)
        RFC3339.append(microsecondsSince1970: microseconds, to: &out)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    private static func appendWhole(_ download: Download, _ representation: [UInt8]?, to out: inout [UInt8]) {
        out.append(contentsOf: #","download":"#.utf8)
        if let representation { out.append(contentsOf: representation) } else { DownloadJSON.append(download, to: &out) }
    }

    private static func appendID(_ id: UUID, to out: inout [UInt8]) {
        out.append(contentsOf: #","id":""#.utf8)
        id.appendLowercased(to: &out)
        out.append(UInt8(ascii: "\""))
    }
}

extension Date {
    /// Now, in whole microseconds since 1970: when an event was committed.
    static func nowMicroseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
    }
}
