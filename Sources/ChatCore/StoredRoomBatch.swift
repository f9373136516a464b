// StoredRoomBatch: room messages as a cluster's shared history brings them to
// a node: the bytes of one stored message and where each entry's sender and
// text lie in them, with the entry's id and trust. The core checks those
// fields (RemoteInputRules) and builds every member's line straight from the
// bytes: no String per field, no HistoryEntry per message, although every
// node handles every message of every room it follows. The cluster layer's
// decoder locates the fields; `init(room:entries:)` lays out entries the same
// way (tests, other sources). It holds bytes and positions only: it checks
// nothing and knows no stored format.

public struct StoredRoomBatch: Sendable {
    /// One room message of the batch.
    public struct Entry: Sendable, Equatable {
        public let id: Int64
        public let trust: Trust
        /// Where the sender's name lies in `bytes`.
        public let sender: Range<Int>
        /// Where the text lies in `bytes`.
        public let text: Range<Int>

        public init(id: Int64, trust: Trust, sender: Range<Int>, text: Range<Int>) {
            (self.id, self.trust, self.sender, self.text) = (id, trust, sender, text)
        }
    }

    /// The room all entries belong to (the feed's room).
    public let room: String
    /// The stored message the fields are read from.
    public let bytes: [UInt8]
    /// In history order (increasing ids).
    public var entries: [Entry]

    public init(room: String, bytes: [UInt8], entries: [Entry]) {
        (self.room, self.bytes, self.entries) = (room, bytes, entries)
    }

    /// The batch of `entries` (their scope is not looked at: they count as `room`'s).
    public init(room: String, entries: [HistoryEntry]) {
        var bytes: [UInt8] = []
        var laidOut: [Entry] = []
        laidOut.reserveCapacity(entries.count)
        for entry in entries {
            let senderStart = bytes.count
            bytes.appendUTF8(entry.sender)
            let textStart = bytes.count
            bytes.appendUTF8(entry.text)
            laidOut.append(Entry(id: entry.id, trust: entry.trust, sender: senderStart..<textStart, text: textStart..<bytes.count))
        }
        self.init(room: room, bytes: bytes, entries: laidOut)
    }

    /// The sender of `entry` as a String (for logs and the rare paths that need one).
    public func sender(of entry: Entry) -> String { String(decoding: bytes[entry.sender], as: UTF8.self) }
    /// The text of `entry` as a String.
    public func text(of entry: Entry) -> String { String(decoding: bytes[entry.text], as: UTF8.self) }
}
