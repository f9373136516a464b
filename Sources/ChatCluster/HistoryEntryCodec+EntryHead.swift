// HistoryEntryCodec+EntryHead: the fields of one entry's header line,
// "<time ms> <trust> <sender> <recipient or ->", located in the payload's bytes
// (exactly four fields, one space apart; the names are kept as positions),
// and the entry they make with a text once every field is one a client could
// have sent (RemoteInputRules). It does not find the lines (HistoryEntryCodec
// does).
import ChatCore

extension HistoryEntryCodec {
    struct EntryHead {
        let time: Int64
        let trust: Trust
        /// Where the sender's name lies in the payload.
        let sender: Range<Int>
        /// Where the recipient's name lies; nil for "-" (no recipient).
        let recipient: Range<Int>?

        /// The fields in `bytes[range]`, nil when they are not four well-formed ones.
        init?(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
            // Four ranges in a tuple, not an array: this runs for every entry a node receives.
            var fields = (range.lowerBound..<range.lowerBound, range.lowerBound..<range.lowerBound,
                          range.lowerBound..<range.lowerBound, range.lowerBound..<range.lowerBound)
            var found = 0, start = range.lowerBound
            for index in range where bytes[index] == 32 {
                switch found {
                case 0: fields.0 = start..<index
                case 1: fields.1 = start..<index
                case 2: fields.2 = start..<index
                default: return nil
                }
                found += 1
                start = index + 1
            }
            guard found == 3 else { return nil }
            fields.3 = start..<range.upperBound
            guard let time = Self.integer(bytes, fields.0),
                  let trust = StoredFields.trust(bytes[fields.1]),
                  !fields.2.isEmpty, !fields.3.isEmpty else { return nil }
            (self.time, self.trust, self.sender) = (time, trust, fields.2)
            let noRecipient = fields.3.count == 1 && bytes[fields.3.lowerBound] == UInt8(ascii: "-")
            self.recipient = noRecipient ? nil : fields.3
        }

        /// The entry with the text at `text`, nil when its sender, recipient or text is one no
        /// client could have sent (or not UTF-8).
        func entry(_ bytes: UnsafeBufferPointer<UInt8>, text: Range<Int>, id: Int64, scope: HistoryScope) -> HistoryEntry? {
            guard let sender = String(validating: UnsafeBufferPointer(rebasing: bytes[sender]), as: UTF8.self) else { return nil }
            var recipientName: String?
            if let recipient {
                guard let name = String(validating: UnsafeBufferPointer(rebasing: bytes[recipient]), as: UTF8.self),
                      RemoteInputRules.isValidName(name) else { return nil }
                recipientName = name
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[text]), as: UTF8.self)
            guard RemoteInputRules.isValidUser(sender, trust: trust), RemoteInputRules.isValidText(text) else { return nil }
            return HistoryEntry(id: id, time: time, scope: scope, sender: sender, recipient: recipientName, trust: trust, text: text)
        }

        /// A decimal integer, optionally negative, that fits an Int64; nil for anything else.
        static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
            var index = range.lowerBound
            let negative = index < range.upperBound && bytes[index] == UInt8(ascii: "-")
            if negative { index += 1 }
            guard index < range.upperBound, range.upperBound - index <= 19 else { return nil }
            var value: Int64 = 0
            while index < range.upperBound {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit <= 9 else { return nil }
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int64(digit))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                index += 1
            }
            return negative ? -value : value
        }
    }
}
