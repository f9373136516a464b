// TokenBucket: per-client command rate limiting: a burst of `capacity`
// commands, then `refillPerSecond` steady. Pure: the caller passes the time
// (monotonic nanoseconds), so tests need no clock. A bucket created at time 0
// starts its clock at the first nonzero time it sees (no free refill then).

public struct TokenBucket: Sendable {
    public let capacity: Double
    public let refillPerSecond: Double
    private var tokens: Double
    private var lastRefill: UInt64

    public init(capacity: Int, refillPerSecond: Double, now: UInt64) {
        self.capacity = Double(capacity)
        self.refillPerSecond = refillPerSecond
        tokens = Double(capacity)
        lastRefill = now
    }

    /// Takes one token if there is one; false means "over the rate".
    public mutating func take(now: UInt64) -> Bool {
        if lastRefill == 0 {
            lastRefill = now
        } else if now > lastRefill {
            tokens = min(capacity, tokens + Double(now - lastRefill) / 1e9 * refillPerSecond)
            lastRefill = now
        }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
