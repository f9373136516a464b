// HistoryEntryCodec: how one history entry is stored in a stream message.
// The payload is one header line, a line feed, then the text as UTF-8:
//   "c1 <time ms> <trust> <sender> <recipient or ->" LF <text>
// (trust is cert, tls or plain; "-" cannot be a user name, so it stands for
// "no recipient"). The scope is the message's subject (ClusterSubjects) and
// the id its stream sequence; the message's headers (Nats-Msg-Id, set by the
// append) are not part of the entry and are ignored when reading (messages
// written by earlier versions also carry a TLSChat-Previous header). Names
// holding a space, a line break or nothing cannot be encoded and are
// refused, and so is decoding a sender or text that chat/1 could not carry
// (RemoteInputRules: a line break would forge lines at clients). Encoding
// and decoding only: no I/O.
import ChatCore

public enum HistoryEntryCodec {
    /// The payload of `entry` (its scope and id are not part of it).
    public static func encode(_ entry: HistoryEntry) throws(HistoryError) -> [UInt8] {
        for name in [entry.sender, entry.recipient ?? "x"] where !isStorable(name) {
            throw HistoryError(.failed, "the name '\(name.prefix(40))' cannot be stored (empty, '-', or holding a space or line break)")
        }
        let head = "c1 \(entry.time) \(entry.trust.rawValue) \(entry.sender) \(entry.recipient ?? "-")\n"
        return Array(head.utf8) + Array(entry.text.utf8)
    }

    /// The entry stored in `payload` on a subject of `scope`, with stream sequence `sequence`.
    public static func decode(_ payload: [UInt8], scope: HistoryScope, sequence: UInt64) throws(HistoryError) -> HistoryEntry {
        // Over bytes: a node decodes every message of every room it follows.
        guard let newline = payload.firstIndex(of: 10) else {
            throw HistoryError(.corrupt, "stream message \(sequence) has no header line")
        }
        let fields = payload[..<newline].split(separator: 32, omittingEmptySubsequences: false)
        func text(_ field: ArraySlice<UInt8>) -> String? { String(validating: field, as: UTF8.self) }
        guard fields.count == 5, fields[0].elementsEqual("c1".utf8), let timeText = text(fields[1]), let time = Int64(timeText),
              let trustText = text(fields[2]), let trust = Trust(rawValue: trustText),
              !fields[3].isEmpty, !fields[4].isEmpty, let sender = text(fields[3]), let recipient = text(fields[4]) else {
            let head = String(decoding: payload[..<newline].prefix(80), as: UTF8.self)
            throw HistoryError(.corrupt, "stream message \(sequence) has an unknown header line '\(head)'")
        }
        let body = String(decoding: payload[(newline + 1)...], as: UTF8.self)
        guard RemoteInputRules.isValidUser(sender, trust: trust), RemoteInputRules.isValidText(body),
              recipient == "-" || RemoteInputRules.isValidName(recipient) else {
            throw HistoryError(.corrupt, "stream message \(sequence) holds a sender, recipient or text a client could not have sent")
        }
        return HistoryEntry(id: Int64(clamping: sequence), time: time, scope: scope, sender: sender,
                            recipient: recipient == "-" ? nil : recipient, trust: trust, text: body)
    }

    private static func isStorable(_ name: String) -> Bool {
        !name.isEmpty && name != "-" && !name.unicodeScalars.contains { $0 == " " || $0 == "\n" || $0 == "\r" }
    }
}
