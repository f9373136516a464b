// OutputQueue: the per-connection FIFO of bytes waiting to be sent.
//
// Holds references to `SharedBytes` (never copies on append) plus how much of
// the first one has already gone out. It can gather a prefix into one
// contiguous buffer (for one TLS record) or describe it as iovecs (for one
// sendmsg). An empty queue keeps a small chunk array (up to 64 slots, about
// 540 bytes) so a busy connection does not reallocate it on every flush; a
// larger one is released, and a connection that never queued owns none.
// It does not enforce a size limit; the layer above reads `byteCount` for that.
#if canImport(Glibc)
import Glibc
#endif

struct OutputQueue {
    private var chunks: [SharedBytes?] = []  // sent chunks are set to nil at once, releasing them
    private var head = 0            // index of the first unsent chunk
    private var headOffset = 0      // bytes of chunks[head] already sent
    private(set) var byteCount = 0

    var isEmpty: Bool { byteCount == 0 }

    mutating func append(_ bytes: SharedBytes) {
        guard bytes.count > 0 else { return }
        chunks.append(bytes)
        byteCount += bytes.count
    }

    /// Copies up to `buffer.count` bytes from the front into `buffer` without
    /// consuming them; returns how many were copied.
    func gather(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        var index = head
        var offset = headOffset
        while index < chunks.count && copied < buffer.count {
            let source = chunks[index]!.bytes
            let take = min(source.count - offset, buffer.count - copied)
            (buffer.baseAddress! + copied).copyMemory(from: source.baseAddress! + offset, byteCount: take)
            copied += take
            offset = 0
            index += 1
        }
        return copied
    }

    /// Calls `body` with iovecs for up to `maximum` chunks from the front.
    func withIOVecs<R>(maximum: Int, _ body: (UnsafeMutableBufferPointer<iovec>) -> R) -> R {
        let count = min(maximum, chunks.count - head)
        return withUnsafeTemporaryAllocation(of: iovec.self, capacity: max(count, 1)) { vectors in
            for slot in 0..<count {
                let bytes = chunks[head + slot]!.bytes
                let skip = slot == 0 ? headOffset : 0
                vectors[slot] = iovec(iov_base: UnsafeMutableRawPointer(mutating: bytes.baseAddress! + skip),
                                      iov_len: bytes.count - skip)
            }
            return body(UnsafeMutableBufferPointer(rebasing: vectors[0..<count]))
        }
    }

    /// Drops `count` sent bytes from the front.
    mutating func consume(_ count: Int) {
        precondition(count <= byteCount)
        byteCount -= count
        var remaining = count
        while remaining > 0 {
            let available = chunks[head]!.count - headOffset
            if remaining >= available {
                remaining -= available
                chunks[head] = nil
                head += 1
                headOffset = 0
            } else {
                headOffset += remaining
                remaining = 0
            }
        }
        if byteCount == 0 {
            chunks.removeAll(keepingCapacity: chunks.capacity <= 64)
            head = 0
            headOffset = 0
        } else if head >= 1024 && head * 2 >= chunks.count {
            chunks.removeFirst(head)  // amortised O(1): compact once half is dead
            head = 0
        }
    }

    /// Drops everything and releases the chunk array.
    mutating func removeAll() {
        chunks = []
        head = 0
        headOffset = 0
        byteCount = 0
    }
}
