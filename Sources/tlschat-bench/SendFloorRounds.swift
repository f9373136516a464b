// SendFloorRounds: the send floor's per-round figures and their summary: the
// send loop's time, the sender's thread CPU per send, and from the round's
// start the wait of the median and of the last recipient (from the reader's
// arrival times). Percentiles are nearest-rank over the measured rounds. It
// measures nothing itself but the calling thread's CPU clock.
#if canImport(Glibc)
import Glibc
#endif

struct SendFloorRounds {
    let connections: Int
    /// Rounds sent, the warm-up included.
    var sent = 0
    private var roundMs: [Double] = []
    private var cpuMicrosecondsPerSend: [Double] = []
    private var medianWaitMs: [Double] = []
    private var lastWaitMs: [Double] = []

    init(connections: Int) { self.connections = connections }

    var measured: Int { roundMs.count }

    mutating func record(begin: UInt64, end: UInt64, cpu: UInt64, arrivals: UnsafeMutablePointer<UInt64>) {
        roundMs.append(Double(end - begin) / 1e6)
        cpuMicrosecondsPerSend.append(Double(cpu) / 1e3 / Double(connections))
        let waits = (0..<connections).map { Double(arrivals[$0] > begin ? arrivals[$0] - begin : 0) / 1e6 }.sorted()
        medianWaitMs.append(waits[(waits.count - 1) / 2])
        lastWaitMs.append(waits[waits.count - 1])
    }

    func add(to report: inout Report) {
        guard measured > 0 else { return }
        report.add("round_ms", .nested(Self.summary(roundMs, extremes: true)))
        report.add("cpu_us_per_send", .nested(Self.summary(cpuMicrosecondsPerSend)))
        let cpu = Self.percentile(cpuMicrosecondsPerSend, 50)
        report.add("sends_per_cpu_second", cpu > 0 ? 1e6 / cpu : nil)
        report.add("median_recipient_wait_ms", .nested(Self.summary(medianWaitMs)))
        report.add("last_recipient_wait_ms", .nested(Self.summary(lastWaitMs)))
    }

    static func summary(_ values: [Double], extremes: Bool = false) -> Report {
        var summary = Report()
        summary.add("p50", percentile(values, 50))
        summary.add("p99", percentile(values, 99))
        if extremes {
            summary.add("min", values.min())
            summary.add("max", values.max())
        }
        return summary
    }

    /// Nearest-rank percentile of a non-empty list.
    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    static func threadCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
