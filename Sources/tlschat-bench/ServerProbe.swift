// ServerProbe: the measured server process(es) as /proc shows them: CPU time
// (utime + stime, in seconds) and resident memory (VmRSS, in KiB), summed
// over every PID given (a cluster: its tlschatd nodes and NATS servers).
// Readings are taken at the edges of a measurement window; the difference is
// the servers' cost for that window. It never signals or changes a process.
import Foundation

struct ServerProbe {
    let pids: [Int32]

    init(pids: [Int32]) { self.pids = pids }

    /// utime + stime of every process so far, in seconds; nil if one is gone.
    func cpuSeconds() -> Double? {
        var total = 0.0
        for pid in pids {
            guard let seconds = Self.cpuSeconds(pid) else { return nil }
            total += seconds
        }
        return total
    }

    /// VmRSS of every process, in KiB; nil if one is gone.
    func residentKiB() -> Int? {
        var total = 0
        for pid in pids {
            guard let kib = Self.residentKiB(pid) else { return nil }
            total += kib
        }
        return total
    }

    private static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, so utime (14) and stime (15) are at 11 and 12.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func residentKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}
