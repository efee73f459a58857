import Foundation
import Synchronization

/// The decoded `files` column of recently read rows, keyed by download id and checked against
/// the column's bytes. The event path reads a row for every progress write while its files stay
/// the same, and decoding them with `JSONDecoder` was the largest part of that read.
final class FilesMemo: Sendable {
    private let entries = Mutex<[String: (text: Data, files: [DownloadFile])]>([:])
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The files `text` (the stored JSON) holds, decoded only when this row's text changed.
    func files(of id: String, text: Data) throws -> [DownloadFile] {
        if let entry = entries.withLock({ $0[id] }), entry.text == text { return entry.files }
        let files = DownloadFile.numbered(try JSONDecoder().decode([DownloadFile].self, from: text))
        entries.withLock { entries in
            // Bounded: when full, start over (what is read again is decoded again).
            if entries.count >= capacity, entries[id] == nil { entries.removeAll(keepingCapacity: true) }
            entries[id] = (Data(text), files)
        }
        return files
    }
}
