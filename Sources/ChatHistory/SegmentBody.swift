// SegmentBody: how the messages of one segment (a run of consecutive ids of
// one room or conversation, stored by one commit in one row, see
// HistorySchema) are written in its `body` column: one line per message,
//   SENDER SP TRUST SP RECIPIENT SP TEXT LF
// with RECIPIENT `-` for a room message ("-" is never a user name). Names are
// single words and chat/1 texts never hold a line break, so no escaping is
// needed; a name that is empty, `-`, or holds a space or line break, or a text
// with a line break, is refused when encoding (the core never stores one).
// The `history` view splits the same lines in SQL for operators. Decoding
// walks the bytes once per line and builds Strings only for the lines a read
// keeps. Encoding and decoding only: no SQL.
import ChatCore

struct SegmentBody {
    /// The most messages one segment holds (a longer run is split).
    static let maximumMessages = 256
    /// A segment is closed once its body passes this many bytes.
    static let maximumBytes = 64 * 1024

    /// Appends the line of `entry` to `bytes` (checked where it lands: walking a String's UTF-8
    /// view byte by byte costs more than the rest of the store's work for a message).
    static func append(_ entry: HistoryEntry, to bytes: inout [UInt8]) throws(HistoryError) {
        let start = bytes.count
        bytes.appendUTF8(entry.sender)
        let senderEnd = bytes.count
        bytes.append(32)
        bytes.appendUTF8(entry.trust.rawValue)
        bytes.append(32)
        let recipientStart = bytes.count
        if let recipient = entry.recipient { bytes.appendUTF8(recipient) } else { bytes.append(45) }
        let recipientEnd = bytes.count
        bytes.append(32)
        let textStart = bytes.count
        bytes.appendUTF8(entry.text)
        let textEnd = bytes.count
        bytes.append(10)
        let storable = bytes.withUnsafeBufferPointer { all in
            StoredFields.isStorableName(all[start..<senderEnd])
                && (entry.recipient == nil || StoredFields.isStorableName(all[recipientStart..<recipientEnd]))
                && !all[textStart..<textEnd].contains(where: { $0 == 10 || $0 == 13 })
        }
        guard storable else {
            bytes.removeSubrange(start...)
            throw HistoryError(.failed, "a message from '\(entry.sender.prefix(40))' cannot be stored: an empty name, "
                + "a name '-' or holding a space or line break, or a text holding a line break")
        }
    }

    /// The byte ranges of the body's lines (without their LF), in order; nil unless the body is
    /// exactly `count` complete lines.
    static func lines(_ body: UnsafeRawBufferPointer, count: Int) -> [Range<Int>]? {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(count)
        var start = 0
        while start < body.count {
            guard lines.count < count, let end = body[start...].firstIndex(of: 10) else { return nil }
            lines.append(start..<end)
            start = end + 1
        }
        return lines.count == count ? lines : nil
    }

    /// The message on `line` of `body`, with id `id`, in `scope`, stored at `time`;
    /// nil when the line is not one `append` could have written.
    static func entry(_ body: UnsafeRawBufferPointer, line: Range<Int>, id: Int64, time: Int64,
                      scope: HistoryScope) -> HistoryEntry? {
        var fields: [Range<Int>] = []
        var start = line.lowerBound
        for _ in 0..<3 {
            guard let space = body[start..<line.upperBound].firstIndex(of: 32) else { return nil }
            fields.append(start..<space)
            start = space + 1
        }
        func text(_ range: Range<Int>) -> String? {
            String(validating: UnsafeRawBufferPointer(rebasing: body[range]), as: UTF8.self)
        }
        guard StoredFields.isStorableName(UnsafeRawBufferPointer(rebasing: body[fields[0]])),
              let sender = text(fields[0]), let trust = StoredFields.trust(UnsafeRawBufferPointer(rebasing: body[fields[1]])),
              let recipient = text(fields[2]), !recipient.isEmpty,
              let message = text(start..<line.upperBound), !message.utf8.contains(13) else { return nil }
        return HistoryEntry(id: id, time: time, scope: scope, sender: sender,
                            recipient: recipient == "-" ? nil : recipient, trust: trust, text: message)
    }
}
