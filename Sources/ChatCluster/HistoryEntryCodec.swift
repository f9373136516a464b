// HistoryEntryCodec: how history entries are stored in stream messages. A
// message holds a run of entries of one scope (HistoryBatchAppend cuts the
// runs), every line ending in a line feed:
//   "c2 <count>" LF, then per entry "<time ms> <trust> <sender> <recipient or ->" LF <text> LF
// with 1...1024 entries (trust is cert, tls or plain; "-" cannot be a user
// name, so it stands for "no recipient"). Messages written by earlier
// versions hold one entry: "c1 <time ms> <trust> <sender> <recipient or ->" LF
// <text> (no final line feed); they are still read. The scope is the
// message's subject (ClusterSubjects) and the ids come from the stream
// sequence and the entry's index (HistoryPosition); the message's headers
// (Nats-Msg-Id, set by the append) are not part of it.
//
// Encoding refuses names holding a space, a line break or nothing and texts
// holding a line break (they would break the framing). Decoding works over the
// bytes, without splitting the payload into strings first (every node decodes
// every message of every room it follows): a header or a framing that is
// wrong (unknown version word, a count that does not match the entries, bytes
// after the last entry) fails the whole message as corrupt; an entry whose
// fields no client could have sent (RemoteInputRules: a line break would forge
// lines at clients) is left out and counted, the others are kept. Encoding and
// decoding only: no I/O.
import ChatCore

public enum HistoryEntryCodec {
    /// The entries of one stored message that could be read, and how many were left out.
    public struct Decoded: Equatable, Sendable {
        public var entries: [HistoryEntry]
        /// Entries whose fields no client could have sent.
        public var leftOut: Int
    }

    /// The most entries one message holds (HistoryPosition's index range).
    public static let maximumEntries = HistoryPosition.entriesPerMessage
    static let lineFeed: UInt8 = 10

    // MARK: Encoding

    /// The payload of one message holding `entries` (1...maximumEntries, all of one scope:
    /// the scope and the ids are not part of it).
    public static func encode(_ entries: ArraySlice<HistoryEntry>) throws(HistoryError) -> [UInt8] {
        guard (1...maximumEntries).contains(entries.count) else {
            throw HistoryError(.failed, "a stored message holds 1 to \(maximumEntries) entries, not \(entries.count)")
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(entries.reduce(8) { $0 + encodedSize($1) })
        payload.append(contentsOf: "c2 \(entries.count)\n".utf8)
        for index in entries.indices {  // by index: copying each entry out would retain its strings
            try append(entries[index], to: &payload)
        }
        return payload
    }

    /// Appends one entry's header and text lines, checked where their bytes land (walking a
    /// String's UTF-8 view byte by byte is slow: every message a node stores passes here).
    private static func append(_ entry: HistoryEntry, to payload: inout [UInt8]) throws(HistoryError) {
        let start = payload.count
        payload.appendDecimal(entry.time)
        payload.append(32)
        payload.appendUTF8(entry.trust.rawValue)
        payload.append(32)
        let senderStart = payload.count
        payload.appendUTF8(entry.sender)
        let senderEnd = payload.count
        payload.append(32)
        let recipientStart = payload.count
        payload.append(contentsOf: (entry.recipient ?? "-").utf8)
        let recipientEnd = payload.count
        payload.append(lineFeed)
        let textStart = payload.count
        payload.appendUTF8(entry.text)
        let textEnd = payload.count
        payload.append(lineFeed)
        let problem: String? = payload.withUnsafeBufferPointer { bytes in
            let badName = !StoredFields.isStorableName(bytes[senderStart..<senderEnd]) ? entry.sender
                : entry.recipient != nil && !StoredFields.isStorableName(bytes[recipientStart..<recipientEnd]) ? entry.recipient : nil
            if let badName { return "the name '\(badName.prefix(40))' cannot be stored (empty, '-', or holding a space or line break)" }
            return bytes[textStart..<textEnd].contains(where: { $0 == 10 || $0 == 13 }) ? "a text holding a line break cannot be stored" : nil
        }
        if let problem {
            payload.removeSubrange(start...)
            throw HistoryError(.failed, problem)
        }
    }

    /// At least the bytes `entry` adds to a payload (HistoryBatchAppend cuts runs with it).
    public static func encodedSize(_ entry: HistoryEntry) -> Int {
        32 + entry.sender.utf8.count + (entry.recipient?.utf8.count ?? 1) + entry.text.utf8.count
    }

    // MARK: Decoding

    /// The entries stored in `payload`, a message of `scope` at stream sequence `sequence`.
    public static func decode(_ payload: [UInt8], scope: HistoryScope, sequence: UInt64) throws(HistoryError) -> Decoded {
        try payload.withUnsafeBufferPointer { bytes throws(HistoryError) in
            guard let newline = find(lineFeed, in: bytes, from: 0) else {
                throw HistoryError(.corrupt, "stream message \(sequence) has no header line")
            }
            if let count = batchCount(bytes, headerEnd: newline) {
                return try decodeBatch(bytes, count: count, from: newline + 1, scope: scope, sequence: sequence)
            }
            let (id, head) = try singleEntry(bytes, headerEnd: newline, sequence: sequence)
            let entry = head.entry(bytes, text: (newline + 1)..<bytes.count, id: id, scope: scope)
            return Decoded(entries: entry.map { [$0] } ?? [], leftOut: entry == nil ? 1 : 0)
        }
    }

    /// The id and header fields of a single-entry message of an earlier version
    /// ("c1 <time ms> <trust> <sender> <recipient or ->" LF <text>); a header line that is not
    /// one, or a sequence beyond the single ids' range, fails the message as corrupt.
    static func singleEntry(_ bytes: UnsafeBufferPointer<UInt8>, headerEnd newline: Int,
                            sequence: UInt64) throws(HistoryError) -> (id: Int64, head: EntryHead) {
        guard newline > 3, bytes[0] == UInt8(ascii: "c"), bytes[1] == UInt8(ascii: "1"), bytes[2] == 32,
              let head = EntryHead(bytes, 3..<newline) else {
            let head = String(decoding: bytes[..<min(newline, 80)], as: UTF8.self)
            throw HistoryError(.corrupt, "stream message \(sequence) has an unknown header line '\(head)'")
        }
        guard let id = HistoryPosition.singleID(sequence: sequence) else {
            throw HistoryError(.corrupt, "stream message \(sequence) is a single entry at a sequence beyond its id range")
        }
        return (id, head)
    }

    /// How many entries `payload` says it holds (1 for a single-entry message), nil when its
    /// header line is not one this codec writes. Reads the header line only.
    public static func entryCount(_ payload: [UInt8]) -> Int? {
        payload.withUnsafeBufferPointer { bytes in
            guard let newline = find(lineFeed, in: bytes, from: 0) else { return nil }
            if let count = batchCount(bytes, headerEnd: newline) { return count }
            return newline > 3 && bytes[0] == UInt8(ascii: "c") && bytes[1] == UInt8(ascii: "1") && bytes[2] == 32 ? 1 : nil
        }
    }

    private static func decodeBatch(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, from start: Int, scope: HistoryScope,
                                    sequence: UInt64) throws(HistoryError) -> Decoded {
        var decoded = Decoded(entries: [], leftOut: 0)
        decoded.entries.reserveCapacity(count)
        try forEachEntry(bytes, count: count, from: start, sequence: sequence) { id, head, text in
            if let head, let entry = head.entry(bytes, text: text, id: id, scope: scope) {
                decoded.entries.append(entry)
            } else {
                decoded.leftOut += 1
            }
        }
        return decoded
    }

    /// Walks the `count` entries of a "c2" payload from `start`, handing `body` each entry's id,
    /// its header's fields (nil when the header line is malformed) and where its text lies.
    /// Throws when the framing is wrong: fewer entries than `count`, or bytes after the last.
    static func forEachEntry(_ bytes: UnsafeBufferPointer<UInt8>, count: Int, from start: Int, sequence: UInt64,
                             _ body: (Int64, EntryHead?, Range<Int>) -> Void) throws(HistoryError) {
        guard HistoryPosition.batchID(sequence: sequence, index: 0) != nil else {
            throw HistoryError(.corrupt, "stream message \(sequence) is beyond the id range of batch messages")
        }
        var position = start
        for index in 0..<count {
            guard let headEnd = find(lineFeed, in: bytes, from: position),
                  let textEnd = find(lineFeed, in: bytes, from: headEnd + 1) else {
                throw HistoryError(.corrupt, "stream message \(sequence) says it holds \(count) entries but ends within entry \(index + 1)")
            }
            body(HistoryPosition.batchID(sequence: sequence, index: index)!, EntryHead(bytes, position..<headEnd), (headEnd + 1)..<textEnd)
            position = textEnd + 1
        }
        guard position == bytes.count else {
            throw HistoryError(.corrupt, "stream message \(sequence) holds more than the \(count) entries it says")
        }
    }

    /// The count of a "c2 <count>" header line, nil for any other line.
    static func batchCount(_ bytes: UnsafeBufferPointer<UInt8>, headerEnd: Int) -> Int? {
        guard headerEnd > 3, headerEnd <= 7, bytes[0] == UInt8(ascii: "c"), bytes[1] == UInt8(ascii: "2"), bytes[2] == 32,
              let count = EntryHead.integer(bytes, 3..<headerEnd), count >= 1, count <= Int64(maximumEntries) else { return nil }
        return Int(count)
    }

    static func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }
}
