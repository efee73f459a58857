import Glibc

/// Wall-clock time as microseconds since 1970 (UTC), the unit of the `at` field of Torrus's
/// events. An event's latency is a reading of this clock minus torrusd's reading at the commit,
/// so both must be the same clock: CLOCK_REALTIME on the same machine, not a monotonic one.
enum WallClock {
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000 + Int64(time.tv_nsec) / 1000
    }

    /// `2026-12-01T21:27:32.123456Z` (any number of fraction digits, none too) as microseconds
    /// since 1970; nil for anything else. By hand: the readers parse ~20,000 of these a second,
    /// and a `DateFormatter` costs microseconds and allocations each.
    static func microseconds(rfc3339 text: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard text.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int64? {
            var value: Int64 = 0
            for index in start..<(start + count) {
                let digit = text[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int64(digit)
            }
            return value
        }
        func at(_ index: Int, _ character: Unicode.Scalar) -> Bool { text[index] == UInt8(ascii: character) }
        guard let year = number(0, 4), at(4, "-"), let month = number(5, 2), at(7, "-"), let day = number(8, 2),
            at(10, "T"), let hour = number(11, 2), at(13, ":"), let minute = number(14, 2), at(16, ":"),
            let second = number(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if at(index, ".") {
            index += 1
            var scale: Int64 = 1_000_000
            while index < text.count, case let digit = text[index] &- UInt8(ascii: "0"), digit < 10 {
                scale /= 10  // digits past the sixth add 0: the clock has microseconds
                fraction += Int64(digit) * scale
                index += 1
            }
        }
        guard index == text.count - 1, at(index, "Z") else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return seconds * 1_000_000 + fraction
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
    /// `days_from_civil`, the inverse of the `civil_from_days` torrusd writes `at` with).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let year = month <= 2 ? year - 1 : year
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
