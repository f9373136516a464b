// LineFramer: splits an incoming byte stream into lines, with a hard bound.
//
// Accepts bytes in any fragmentation (one byte at a time included) and
// returns complete lines without their "\n" or "\r\n". A line longer than
// `maximumLineLength` bytes is reported as `.tooLong` as soon as the bound is
// crossed, without buffering the excess, so memory stays bounded whatever a
// client sends. It does not validate UTF-8 or interpret lines; that is the
// protocol layer's job. Pure: no I/O.

public struct LineFramer: Sendable {
    public enum Event: Equatable, Sendable {
        case line([UInt8])
        case tooLong
    }

    /// May be changed between feeds (a reloaded limit): a line already longer than the new
    /// bound is `.tooLong` as soon as more of it arrives.
    public var maximumLineLength: Int {
        didSet { precondition(maximumLineLength > 0) }
    }
    private var partial: [UInt8] = []
    private var overflowed = false

    public init(maximumLineLength: Int = 4096) {
        precondition(maximumLineLength > 0)
        self.maximumLineLength = maximumLineLength
    }

    /// Bytes of an unfinished line held right now.
    public var bufferedByteCount: Int { partial.count }

    /// Feeds bytes; returns the events they complete, in order. After
    /// `.tooLong` the framer stops producing lines (the caller closes).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Event] {
        guard !overflowed else { return [] }
        var events: [Event] = []
        var start = 0
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                partial.append(contentsOf: bytes[start...])
                // A trailing "\r" may still be half of this line's "\r\n" terminator.
                let pendingCarriageReturn = partial.last == UInt8(ascii: "\r") ? 1 : 0
                if partial.count > maximumLineLength + pendingCarriageReturn { return overflow(events) }
                return events
            }
            partial.append(contentsOf: bytes[start..<newline])
            if partial.last == UInt8(ascii: "\r") { partial.removeLast() }
            if partial.count > maximumLineLength { return overflow(events) }
            events.append(.line(partial))
            partial.removeAll(keepingCapacity: partial.count <= 256)
            start = newline + 1
        }
        return events
    }

    private mutating func overflow(_ events: [Event]) -> [Event] {
        overflowed = true
        partial = []
        return events + [.tooLong]
    }
}
