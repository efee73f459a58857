import Foundation
import Glibc

/// CPU time of each thread of another process (from /proc/PID/task/TID/stat), to tell one
/// saturated thread (a serial bottleneck) from work spread over the cores.
enum ThreadCPU {
    struct Thread: Sendable {
        let name: String
        let time: Duration
    }

    /// Every thread of `pid` by thread id; empty once the process is gone.
    static func sample(pid: Int32) -> [Int32: Thread] {
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") else { return [:] }
        let ticks = max(Int(sysconf(Int32(_SC_CLK_TCK))), 1)
        var threads: [Int32: Thread] = [:]
        for tid in tids {
            guard let id = Int32(tid), let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
            else { continue }
            // As in ProcessStats.cpuTime: fields after the name's ')', utime and stime are 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { continue }
            threads[id] = Thread(name: String(stat[stat.index(after: open)..<close]), time: .milliseconds((user + system) * 1000 / ticks))
        }
        return threads
    }

    /// The `count` threads that used the most CPU between two samples, as (name, % of one core).
    static func busiest(from before: [Int32: Thread], to after: [Int32: Thread], seconds: Double, count: Int = 3) -> [(String, Double)] {
        after.map { id, thread in (thread.name, (thread.time - (before[id]?.time ?? .zero)).seconds / max(seconds, 0.001) * 100) }
            .sorted { $0.1 > $1.1 }
            .prefix(count)
            .map { $0 }
    }
}
