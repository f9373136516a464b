// LoopStatistics: what one event loop has moved and how long its iterations
// took, for the server's metrics: application bytes read and written by its
// stream connections (what the protocol layer sees, before TLS framing), the
// most output any one connection had queued at a flush (a high-water mark),
// and a histogram of iteration times (from the end of the wait to the end of
// the iteration, so idle time is not counted). Plain integers owned by the
// loop's thread and bumped in place: one add per read or write call, one
// compare per flush, one histogram observation per iteration. It does not
// render or reset anything.

public struct LoopStatistics: Sendable {
    public internal(set) var bytesRead = 0
    public internal(set) var bytesWritten = 0
    /// The largest output queue (bytes) one connection had when it was flushed.
    public internal(set) var largestQueuedOutput = 0
    /// Iteration times (work only, not the wait).
    public internal(set) var iterationTimes = BucketHistogram.latency()

    public init() {}
}
