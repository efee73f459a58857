import Foundation

extension Date {
    /// Whole milliseconds since 1970. Torrus keeps timestamps at this precision everywhere so that a
    /// value read back from SQLite equals the value written, and list order is the same in every store.
    public var millisecondsSince1970: Int64 {
        // Through whole microseconds first: a Date made from whole milliseconds (every stored one
        // is) is not exact in binary floating point, and a plain floor of `seconds × 1000` turned
        // some of them into the millisecond before — on every write, a stored timestamp could
        // creep back by one.
        let microseconds = (timeIntervalSince1970 * 1_000_000).rounded()
        return Int64((microseconds / 1000).rounded(.down))
    }

    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// Now, truncated to whole milliseconds.
    public static func nowMilliseconds() -> Date {
        Date(millisecondsSince1970: Date().millisecondsSince1970)
    }
}
