import Foundation
import Glibc

/// CPU time and memory of this process (torrusd in-process plus the bench's small client) and,
/// for context, of the two child processes it runs next to on the same cores.
enum ProcessStats {
    /// User + system CPU time this process has used so far (all threads).
    static func selfCPUTime() -> Duration {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        func duration(_ time: timeval) -> Duration { .seconds(time.tv_sec) + .microseconds(time.tv_usec) }
        return duration(usage.ru_utime) + duration(usage.ru_stime)
    }

    /// Resident set size in KiB (`VmRSS` of /proc/PID/status; this process by default), nil where
    /// /proc is missing or the process is gone.
    static func residentKiB(pid: String = "self") -> Int? {
        statusKiB("VmRSS:", pid: pid)
    }

    /// The anonymous part of the resident set (`RssAnon`: heap, stacks; not the file-backed pages
    /// of code and libraries, which are shared and reclaimable).
    static func anonymousKiB(pid: String = "self") -> Int? {
        statusKiB("RssAnon:", pid: pid)
    }

    private static func statusKiB(_ field: String, pid: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "")
        }
        return nil
    }

    /// User + system CPU time of another process (fields 14 and 15 of /proc/PID/stat, in clock
    /// ticks), nil once it is gone.
    static func cpuTime(pid: Int32) -> Duration? {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // The command name (field 2) may contain blanks: count fields after its ')'.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field N is fields[N - 3].
        guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        let ticks = Int(sysconf(Int32(_SC_CLK_TCK)))
        return .milliseconds((user + system) * 1000 / max(ticks, 1))
    }
}

/// CPU use over a window: `percent` is CPU time / wall time × 100, i.e. % of one core (200% is
/// both cores of the 2-core machine).
struct CPUSample {
    let started: ContinuousClock.Instant
    let selfCPU: Duration
    let others: [Int32: Duration]

    static func now(others pids: [Int32]) -> CPUSample {
        var others: [Int32: Duration] = [:]
        for pid in pids { others[pid] = ProcessStats.cpuTime(pid: pid) }
        return CPUSample(started: .now, selfCPU: ProcessStats.selfCPUTime(), others: others)
    }

    /// % of one core used by this process between `self` and `end`.
    func selfPercent(until end: CPUSample) -> Double {
        (end.selfCPU - selfCPU).seconds / (end.started - started).seconds * 100
    }

    /// % of one core used by `pid` between `self` and `end`; nil if it was not readable.
    func percent(of pid: Int32, until end: CPUSample) -> Double? {
        guard let before = others[pid], let after = end.others[pid] else { return nil }
        return (after - before).seconds / (end.started - started).seconds * 100
    }
}
