// HeapTuning: process-wide malloc settings for a server whose buffers come and
// go with every flush. Output buffers and OpenSSL's record buffers are freed
// after each write; by default glibc then returns the top of the heap to the
// kernel (above 128 KiB free) and page-faults it back in on the next flush,
// which costs more than the writes themselves on some virtual machines. Fixing
// the trim threshold also fixes glibc's mmap threshold (normally adaptive), so
// it is set too, high enough that output backlogs and arena bursts come from
// the heap. Freed memory kept this way shows in the process's RSS. This file
// only forwards to mallopt; it does not allocate or track anything.
internal import CLinuxShim

public enum HeapTuning {
    /// Keeps up to `bytes` of freed heap for reuse instead of returning it to the
    /// kernel, and serves allocations below `mappedFrom` from the heap rather
    /// than from mmap. Memory in use is unchanged; only the freed reserve is kept.
    public static func keepFreedMemory(upTo bytes: Int32, mappedFrom mmapThreshold: Int32 = 4 << 20) {
        _ = mallopt(M_TRIM_THRESHOLD, bytes)
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
    }
}
