// MonotonicClock: nanoseconds from CLOCK_MONOTONIC, the only time source the
// loop's timers use (never wall-clock time, which can jump).
#if canImport(Glibc)
import Glibc
#endif

public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot).
    public static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped at zero (to compare with `MonotonicClock.now()`).
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        let total = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        return total < 0 ? 0 : UInt64(total)
    }
}
