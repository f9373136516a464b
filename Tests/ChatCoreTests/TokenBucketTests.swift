// TokenBucketTests: the command rate limiter: a burst, then the steady rate,
// never more than the capacity however long the client was quiet.
import ChatCore
import Testing

@Suite("TokenBucket")
struct TokenBucketTests {
    @Test("a burst of capacity, then one token per 1/rate seconds, capped at capacity")
    func burstThenSteadyRate() {
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 2, now: 1)
        #expect((0..<5).map { _ in bucket.take(now: 1) } == [true, true, true, false, false])
        #expect(bucket.take(now: 400_000_001) == false)  // 0.8 tokens so far
        #expect(bucket.take(now: 500_000_001) == true)   // 1.0 token
        #expect(bucket.take(now: 500_000_001) == false)
        let later: UInt64 = 3_600_000_000_000  // an hour of silence still allows only the burst
        #expect((0..<5).map { _ in bucket.take(now: later) } == [true, true, true, false, false])
    }

    @Test("a bucket made at time 0 starts its clock at the first real time: no free refill")
    func lazyStart() {
        var bucket = TokenBucket(capacity: 2, refillPerSecond: 1, now: 0)
        #expect([bucket.take(now: 0), bucket.take(now: 0)] == [true, true])
        #expect(bucket.take(now: 5_000_000_000) == false)
        #expect(bucket.take(now: 6_000_000_000) == true)
    }
}
