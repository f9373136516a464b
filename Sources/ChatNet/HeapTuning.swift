// HeapTuning: process-wide malloc settings for a server whose buffers come and
// go with every flush. Output buffers and OpenSSL's record buffers are freed
// after each write; by default glibc then returns the top of the heap to the
// kernel (above 128 KiB free) and page-faults it back in on the next flush,
// which costs more than the writes themselves on some virtual machines. This
// file only forwards to mallopt; it does not allocate or track anything.
internal import CLinuxShim

public enum HeapTuning {
    /// Keeps up to `bytes` of freed heap for reuse instead of returning it to the
    /// kernel. Memory in use is unchanged; only the freed reserve is kept.
    public static func keepFreedMemory(upTo bytes: Int32) {
        _ = mallopt(M_TRIM_THRESHOLD, bytes)
    }
}
