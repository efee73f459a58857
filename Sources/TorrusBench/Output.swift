import Foundation

/// Results go to stdout (one unbuffered write per line, so a long run can be watched or piped);
/// progress notes and errors go to stderr.
enum Output {
    static func line(_ text: String = "") {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// A progress note ("creating 500 downloads…"), on stderr so stdout holds only figures.
    static func note(_ text: String) {
        error("· " + text)
    }
}
