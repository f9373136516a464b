// OutputBuffer: the bytes one connection has yet to send that are its own
// (replies, and anything queued behind them), in one contiguous block, so the
// whole front goes to a single write(2) or SSL_write. Broadcasts a connection
// receives with nothing else queued stay in the loop's BroadcastArena instead.
//
// Appending copies: a chat line is about a hundred bytes. The block is
// allocated on the first append and freed as soon as everything has been sent
// (or when the buffer itself goes away), so an idle connection holds no output
// memory; the next block starts at the size the last one's contents needed
// (4 to 64 KiB), so a busy connection does not grow and copy on every flush
// and one past backlog does not make every later block large. It grows by
// doubling and reuses its own space once the sent front is at least half of
// it. Not copyable: it owns its block. It does not enforce a size limit; the
// connection checks `byteCount` against its own before appending.

struct OutputBuffer: ~Copyable {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    private var start = 0  // first unsent byte
    private var end = 0    // one past the last queued byte
    /// The size the next block starts at: what the last one's contents needed, within bounds.
    private var nextCapacity = OutputBuffer.initialCapacity
    /// The most bytes queued at once in the current block.
    private var peakByteCount = 0

    /// The smallest block allocated: a few dozen chat lines.
    static let initialCapacity = 4096
    /// The largest size remembered for the next block (a slow consumer's backlog is not).
    static let largestRememberedCapacity = 64 * 1024

    var byteCount: Int { end - start }
    var isEmpty: Bool { end == start }
    /// Memory held, queued or not (0 when nothing is queued).
    var allocatedByteCount: Int { capacity }

    init() {}

    deinit { storage?.deallocate() }

    /// The unsent bytes, front first. Valid until the next mutating call; a
    /// later `append` keeps these bytes at the front (possibly moved), so a
    /// write retried after "would block" finds the same prefix, longer or equal.
    var front: UnsafeRawBufferPointer {
        guard let storage else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: storage + start, count: end - start)
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if end + bytes.count > capacity { makeRoom(for: bytes.count) }
        (storage! + end).copyMemory(from: source, byteCount: bytes.count)
        end += bytes.count
        peakByteCount = max(peakByteCount, end - start)
    }

    /// Drops `count` sent bytes from the front; frees the block once empty.
    mutating func consume(_ count: Int) {
        precondition(count >= 0 && count <= byteCount, "consumed more than was queued")
        start += count
        if start == end { removeAll() }
    }

    /// Drops everything and frees the block.
    mutating func removeAll() {
        if capacity > 0 {
            var next = Self.initialCapacity
            while next < peakByteCount && next < Self.largestRememberedCapacity { next *= 2 }
            nextCapacity = next
        }
        peakByteCount = 0
        storage?.deallocate()
        storage = nil
        capacity = 0
        start = 0
        end = 0
    }

    private mutating func makeRoom(for count: Int) {
        let live = end - start
        let needed = live + count
        if let storage, needed <= capacity, start >= live {  // the sent front is big enough to reuse
            storage.copyMemory(from: storage + start, byteCount: live)
        } else {
            var grown = storage == nil ? nextCapacity : capacity * 2
            while grown < needed { grown *= 2 }
            let block = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            if let storage {
                block.copyMemory(from: storage + start, byteCount: live)
                storage.deallocate()
            }
            storage = block
            capacity = grown
        }
        start = 0
        end = live
    }
}
