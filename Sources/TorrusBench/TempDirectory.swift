import Foundation
import Glibc

/// A fresh private directory under $TMPDIR (mkdtemp, mode 700) holding everything one run
/// writes: aria2's downloads and session, Torrus's SQLite store, the file server's root, logs.
struct TempDirectory: Sendable {
    let path: String

    init() throws(BenchError) {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        var template = Array((base + "/torrus-bench-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw .setup("cannot create a temporary directory under \(base): \(String(cString: strerror(errno)))")
        }
        path = String(cString: made)
    }

    func subdirectory(_ name: String) throws(BenchError) -> String {
        let full = path + "/" + name
        do {
            try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        } catch {
            throw .setup("cannot create \(full): \(error)")
        }
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
