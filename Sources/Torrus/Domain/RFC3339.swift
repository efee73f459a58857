import Foundation

/// Timestamps as RFC 3339 in UTC with milliseconds, e.g. `2026-11-27T19:41:10.123Z`, computed
/// from the whole milliseconds Torrus keeps. Foundation's `ISO8601FormatStyle` cost ~2 µs a call
/// (25 ms on first use, with ICU's data pulled in) and, through floating point, showed half of all
/// timestamps one millisecond early.
enum RFC3339 {
    static func string(_ date: Date) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        append(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ date: Date, to out: inout [UInt8]) {
        append(date.millisecondsSince1970, unitsPerSecond: 1000, fractionDigits: 3, to: &out)
    }

    /// With microseconds, e.g. `2026-11-27T19:41:10.123456Z`: when an event was committed, precise
    /// enough to measure how long it took to reach a client.
    static func append(microsecondsSince1970 microseconds: Int64, to out: inout [UInt8]) {
        append(microseconds, unitsPerSecond: 1_000_000, fractionDigits: 6, to: &out)
    }

    private static func append(_ units: Int64, unitsPerSecond: Int64, fractionDigits: Int, to out: inout [UInt8]) {
        let dayLength = 86_400 * unitsPerSecond
        var days = units / dayLength
        var ofDay = units % dayLength
        if ofDay < 0 {
            days -= 1
            ofDay += dayLength
        }
        let seconds = ofDay / unitsPerSecond
        let (year, month, day) = civil(days: days)
        digits(year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        digits(month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        digits(day, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        digits(seconds / 3600, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        digits(seconds / 60 % 60, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        digits(seconds % 60, 2, to: &out)
        out.append(UInt8(ascii: "."))
        digits(ofDay % unitsPerSecond, fractionDigits, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// Year, month and day of a day count since 1970-01-01 in the proleptic Gregorian calendar
    /// (Howard Hinnant's `civil_from_days`).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// `value` in decimal, zero-padded to `width` digits (more digits if it needs them).
    private static func digits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        guard value >= 0, value < divisor * 10 else {
            out.append(contentsOf: String(value).utf8)
            return
        }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
