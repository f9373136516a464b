// BucketHistogram: a fixed-bucket histogram of durations, the shape the
// Prometheus text format exposes (cumulative `le` buckets, a sum and a
// count). Observing one value is a short scan of at most a dozen upper
// bounds and three integer adds: no lock, no allocation, so the event loop
// can time every iteration. It is a plain value owned by one thread; it does
// not render itself (ChatServerKit's PrometheusText does) and never resets.

public struct BucketHistogram: Sendable, Equatable {
    /// Upper bounds of the buckets in nanoseconds, ascending; +Inf is implied after the last.
    public let upperBounds: [UInt64]
    /// Observations per bucket (not cumulative); the last entry is the +Inf bucket.
    public private(set) var counts: [Int]
    /// Sum of every observation, in nanoseconds.
    public private(set) var sumNanoseconds: UInt64 = 0
    public private(set) var count = 0

    /// `upperBounds`: ascending nanosecond bounds.
    public init(upperBounds: [UInt64]) {
        precondition(zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 }, "bucket bounds must ascend")
        self.upperBounds = upperBounds
        counts = [Int](repeating: 0, count: upperBounds.count + 1)
    }

    /// Buckets from 50 µs to 1 s: loop iterations and history commits.
    public static func latency() -> BucketHistogram {
        BucketHistogram(upperBounds: [50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
                                      10_000_000, 25_000_000, 50_000_000, 100_000_000, 250_000_000, 1_000_000_000])
    }

    @inline(__always)
    public mutating func observe(nanoseconds value: UInt64) {
        var index = 0
        while index < upperBounds.count && value > upperBounds[index] { index += 1 }
        counts[index] += 1
        sumNanoseconds &+= value
        count += 1
    }

    /// Cumulative counts per bound (`le`), the +Inf bucket last (equal to `count`).
    public var cumulativeCounts: [Int] {
        var running = 0
        return counts.map { running += $0; return running }
    }
}
