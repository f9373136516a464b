// SharedBytes: an immutable byte string with a stable address, shared by
// reference. One broadcast message is encoded once into a SharedBytes and
// queued on every recipient's connection without copying per recipient;
// its stable address lets plain connections hand it straight to sendmsg.
// It is not a growable buffer; build the bytes first, then wrap them.

public final class SharedBytes: @unchecked Sendable {  // immutable after init
    private let storage: UnsafeMutableRawBufferPointer
    public let count: Int

    /// Copies `bytes` once.
    public init<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
        storage.copyBytes(from: bytes)
        self.count = count
    }

    /// The bytes, valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: storage[0..<count]) }

    deinit { storage.deallocate() }
}
