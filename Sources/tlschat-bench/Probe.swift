// Probe: the marker every benchmark message carries, `@@SENDER.SEQUENCE@@`, at
// the END of the message text (padding comes before it), and the parser that
// reads it from a delivered line. SEQUENCE counts from 0 per sender. When the
// message was queued is not on the wire: the sender is in the same process and
// keeps it (MessageLedger), so a receiver parses two short numbers, not a
// clock reading. Because every dialect delivers the text last (`MSG #room
// name trust TEXT`, `:nick!user@host PRIVMSG #room :TEXT`, `<user5> TEXT`),
// the parser reads the marker backwards from the line's end and touches no
// other byte; a line that does not end in a marker (a server that appended
// something) is searched from the front instead. Building the line is
// `ProbeLine`'s job. Pure: no I/O, no clock.
#if canImport(Glibc)
import Glibc
#endif

struct Probe: Equatable {
    let sender: Int
    let sequence: Int

    /// The message text (tests, diagnostics): padding "x" then the marker, `size` bytes
    /// (never shorter than the marker).
    func text(size: Int) -> String {
        var line = ProbeLine(prefix: [], size: size)
        return line.withLine(for: self) { String(decoding: $0.dropLast(), as: UTF8.self) }
    }

    /// The marker in `line`; nil when there is none (registration chatter, joins, notices).
    static func find(in line: UnsafeRawBufferPointer) -> Probe? {
        atEnd(of: line) ?? search(line)
    }

    /// The marker that ends `line`, read backwards; nil unless the line ends in one.
    /// Reads bytes through the base pointer after one length check (every index stays
    /// within 0..<count: each step is guarded before it moves), so a delivery pays for
    /// the marker's bytes and nothing else.
    @inline(__always)
    static func atEnd(of line: UnsafeRawBufferPointer) -> Probe? {
        guard line.count >= 7, let base = line.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        let at = UInt8(ascii: "@"), dot = UInt8(ascii: ".")
        var index = line.count - 1
        guard base[index] == at, base[index - 1] == at else { return nil }
        index -= 2
        // SEQUENCE, then SENDER, each 1...18 digits, read from their last digit.
        var sequence = 0, sender = 0
        var scale = 1
        let sequenceLast = index
        while index >= 0, case let digit = base[index] &- 0x30, digit <= 9 {
            sequence &+= Int(digit) &* scale
            scale &*= 10
            index -= 1
        }
        guard case 1...18 = sequenceLast - index, index >= 1, base[index] == dot else { return nil }
        index -= 1
        scale = 1
        let senderLast = index
        while index >= 0, case let digit = base[index] &- 0x30, digit <= 9 {
            sender &+= Int(digit) &* scale
            scale &*= 10
            index -= 1
        }
        guard case 1...18 = senderLast - index, index >= 1, base[index] == at, base[index - 1] == at else { return nil }
        return Probe(sender: sender, sequence: sequence)
    }

    /// The first marker anywhere in `line`, searched from the front (the slow path).
    static func search(_ line: UnsafeRawBufferPointer) -> Probe? {
        let at = UInt8(ascii: "@"), dot = UInt8(ascii: ".")
        guard let base = line.baseAddress else { return nil }
        var index = 0
        let end = line.count
        while index + 1 < end {
            guard let found = memchr(base + index, Int32(at), end - index) else { return nil }
            index = base.distance(to: UnsafeRawPointer(found))
            guard index + 1 < end, line[index + 1] == at else { index += 1; continue }
            var position = index + 2
            var numbers = (0, 0)
            var digits = 0
            var field = 0
            while position < end {
                let byte = line[position]
                if byte >= 0x30 && byte <= 0x39, digits < 18 {
                    if field == 0 { numbers.0 = numbers.0 * 10 + Int(byte - 0x30) } else { numbers.1 = numbers.1 * 10 + Int(byte - 0x30) }
                    digits += 1
                } else if byte == dot, field == 0, digits > 0 {
                    field = 1
                    digits = 0
                } else {
                    break
                }
                position += 1
            }
            if field == 1, digits > 0, position + 1 < end, line[position] == at, line[position + 1] == at {
                return Probe(sender: numbers.0, sequence: numbers.1)
            }
            index += 1  // "@@@1.2@@": the marker may start at the second "@"
        }
        return nil
    }
}
