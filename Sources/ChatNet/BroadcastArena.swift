// BroadcastArena: the bytes of this flush's broadcast messages, each stored
// once for all its recipients. A connection that only receives broadcasts
// keeps a range of the arena instead of a copy (consecutive broadcasts are
// adjacent, so one range covers them all) and writes straight from it. The
// event loop owns one arena and empties it after every flush phase; a
// connection that still has a range by then (its write would block, or it is
// not open yet) copies it into its own output buffer first, so nothing
// outlives the flush. It does not know about connections or TLS.

public final class BroadcastArena {
    private var storage: UnsafeMutableRawPointer?
    private var capacity = 0
    private var used = 0
    /// The message placed last and where: its other recipients reuse the placement.
    private var lastKey: AnyObject?
    private var lastPlacement = 0..<0

    /// Counts resets: a range is valid only in the epoch it was placed in (checked in debug builds).
    private(set) var epoch = 0

    /// Capacity kept across flushes (a burst above it is released at reset).
    static let retainedCapacity = 256 * 1024

    init() {}

    deinit { storage?.deallocate() }

    /// Where `bytes`, identified by `key`, lie in the arena: copied on first sight,
    /// found again for the same key until the next `reset`.
    @inline(__always)
    func place(_ bytes: UnsafeRawBufferPointer, key: AnyObject) -> Range<Int> {
        if key === lastKey { return lastPlacement }
        return append(bytes, key: key)
    }

    /// Copies `bytes` in even if `key` was placed last (a broadcast group's own copy, so two
    /// groups never share a range); later `place` calls for `key` find this copy.
    @inline(__always)
    func placeCopy(_ bytes: UnsafeRawBufferPointer, key: AnyObject) -> Range<Int> {
        append(bytes, key: key)
    }

    /// The bytes of `range`, placed during `placedIn` (valid until the next `place` or `reset`).
    func bytes(_ range: Range<Int>, placedIn placedEpoch: Int) -> UnsafeRawBufferPointer {
        assert(placedEpoch == epoch, "a broadcast range outlived the flush it was placed for")
        return UnsafeRawBufferPointer(start: storage.map { $0 + range.lowerBound }, count: range.count)
    }

    /// Forgets every placement (after a flush phase, when no range is left).
    func reset() {
        epoch &+= 1
        used = 0
        lastKey = nil
        lastPlacement = 0..<0
        if capacity > Self.retainedCapacity {
            storage?.deallocate()
            storage = nil
            capacity = 0
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer, key: AnyObject) -> Range<Int> {
        if used + bytes.count > capacity {
            var grown = max(capacity * 2, 16 * 1024)
            while grown < used + bytes.count { grown *= 2 }
            let block = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 16)
            if let storage {
                block.copyMemory(from: storage, byteCount: used)
                storage.deallocate()
            }
            storage = block
            capacity = grown
        }
        if let source = bytes.baseAddress, bytes.count > 0 {
            (storage! + used).copyMemory(from: source, byteCount: bytes.count)
        }
        lastPlacement = used..<(used + bytes.count)
        used += bytes.count
        lastKey = key
        return lastPlacement
    }
}
