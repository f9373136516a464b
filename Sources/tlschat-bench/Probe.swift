// Probe: the marker every benchmark message carries, `@@SENDER.SEQUENCE.NANOS@@`
// followed by padding, and the parser that finds it anywhere in a delivered
// line (after whatever prefix the server adds: `MSG #room name trust `,
// `:nick!user@host PRIVMSG #room :`, `<user5> `). SEQUENCE counts from 0 per
// sender; NANOS is the sender's MonotonicClock reading when it queued the
// line, so sender and receivers (one process) share the clock. Pure.
#if canImport(Glibc)
import Glibc
#endif

struct Probe: Equatable {
    let sender: Int
    let sequence: Int
    let sentAt: UInt64

    /// The message text: the marker padded with "x" to `size` bytes (never shorter than the marker).
    func text(size: Int) -> String {
        let marker = "@@\(sender).\(sequence).\(sentAt)@@"
        return marker.count >= size ? marker : marker + String(repeating: "x", count: size - marker.count)
    }

    /// Finds the first marker in `line`; nil when there is none (registration chatter, joins, notices).
    static func find(in line: UnsafeRawBufferPointer) -> Probe? {
        let at = UInt8(ascii: "@"), dot = UInt8(ascii: ".")
        guard let base = line.baseAddress else { return nil }
        var index = 0
        let end = line.count
        while index + 1 < end {
            guard let found = memchr(base + index, Int32(at), end - index) else { return nil }
            index = base.distance(to: UnsafeRawPointer(found))
            guard index + 1 < end, line[index + 1] == at else { index += 1; continue }
            var position = index + 2
            var fields: (Int, Int, UInt64) = (0, 0, 0)
            var digits = 0
            var field = 0
            while position < end {
                let byte = line[position]
                if byte >= 0x30 && byte <= 0x39 {
                    let value = UInt64(byte - 0x30)
                    switch field {
                    case 0: fields.0 = fields.0 &* 10 &+ Int(value)
                    case 1: fields.1 = fields.1 &* 10 &+ Int(value)
                    default: fields.2 = fields.2 &* 10 &+ value
                    }
                    digits += 1
                } else if byte == dot, field < 2, digits > 0 {
                    field += 1
                    digits = 0
                } else {
                    break
                }
                position += 1
            }
            if field == 2, digits > 0, position + 1 < end, line[position] == at, line[position + 1] == at {
                return Probe(sender: fields.0, sequence: fields.1, sentAt: fields.2)
            }
            index += 1  // "@@@1.2.3@@": the marker may start at the second "@"
        }
        return nil
    }
}
