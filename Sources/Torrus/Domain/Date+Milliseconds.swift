import Foundation

extension Date {
    /// Whole milliseconds since 1970. Torrus keeps timestamps at this precision everywhere so that a
    /// value read back from SQLite equals the value written, and list order is the same in every store.
    public var millisecondsSince1970: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded(.down))
    }

    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Now, truncated to whole milliseconds.
    public static func nowMilliseconds() -> Date {
        Date(millisecondsSince1970: Date().millisecondsSince1970)
    }
}
