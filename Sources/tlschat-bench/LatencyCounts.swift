// LatencyCounts: the fan-out's latency record, in microseconds. A delivery
// adds one to a flat counter per microsecond (below 1.05 s: one bounds
// check and an increment, no HDR bucket arithmetic per delivery); rarer larger
// values go straight into an HDR histogram. `histogram()` folds the counters
// into an HDR histogram (3 significant digits, up to 120 s), which is what
// every percentile is read from, so the figures are the ones recording each
// value into HDR would give. It reads no clock and does no I/O.
import Histogram

struct LatencyCounts {
    typealias HDR = Histogram<UInt64>
    /// Values below this many microseconds are counted one by one.
    static let linearLimit = 1 << 20

    private var linear: UnsafeMutablePointer<UInt64>
    private var large = Self.emptyHDR()

    static func emptyHDR() -> HDR { HDR(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three) }

    init() {
        linear = .allocate(capacity: Self.linearLimit)
        linear.initialize(repeating: 0, count: Self.linearLimit)
    }

    /// Frees the counters; the value must not be used afterwards (the run owns one for its lifetime).
    func release() { linear.deallocate() }

    @inline(__always)
    mutating func record(_ microseconds: UInt64) {
        if microseconds < UInt64(Self.linearLimit) {
            linear[Int(microseconds)] &+= 1
        } else {
            large.record(microseconds)  // beyond 120 s: not recordable
        }
    }

    /// Everything recorded, as one HDR histogram.
    func histogram() -> HDR {
        var result = large
        for value in 0..<Self.linearLimit where linear[value] > 0 {
            result.record(UInt64(value), count: linear[value])
        }
        return result
    }
}
