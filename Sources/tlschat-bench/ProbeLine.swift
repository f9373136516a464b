// ProbeLine: builds one benchmark message line in place, without Strings or
// allocation per message: the dialect's command prefix (`SAY `, `PRIVMSG
// #room :`, nothing for ncat), "x" padding, the `Probe` marker at the text's
// end, and the newline. The prefix and padding are written once; a message
// rewrites only its marker (written backwards from the newline) and, when the
// marker got shorter, the padding bytes the longer one had used. It does not
// send anything or read the clock.

struct ProbeLine {
    private var bytes: [UInt8]
    private let prefix: [UInt8]
    private let size: Int
    /// The longest marker: "@@" + two numbers of at most 20 digits + a dot + "@@".
    private static let longestMarker = 45
    private var lastTextLength = -1
    private var lastMarkerStart: Int

    /// `prefix`: the dialect's bytes before the text; `size`: the text's length, padding
    /// included (a longer marker makes the text longer).
    init(prefix: [UInt8], size: Int) {
        self.prefix = prefix
        self.size = size
        bytes = [UInt8](repeating: UInt8(ascii: "x"), count: prefix.count + max(size, Self.longestMarker) + 1)
        bytes[bytes.count - 1] = 0x0A
        lastMarkerStart = bytes.count - 1
    }

    /// Calls `body` with the whole line (prefix, text, newline) for `probe`.
    mutating func withLine<Result>(for probe: Probe, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let newline = bytes.count - 1
        var index = newline
        bytes.withUnsafeMutableBufferPointer { line in
            func put(_ byte: UInt8) { index -= 1; line[index] = byte }
            func put(_ number: UInt64) {
                var value = number
                repeat { put(UInt8(truncatingIfNeeded: value % 10) &+ 0x30); value /= 10 } while value > 0
            }
            put(UInt8(ascii: "@")); put(UInt8(ascii: "@"))
            put(UInt64(truncatingIfNeeded: probe.sequence)); put(UInt8(ascii: "."))
            put(UInt64(truncatingIfNeeded: probe.sender))
            put(UInt8(ascii: "@")); put(UInt8(ascii: "@"))
        }
        let textLength = max(size, newline - index)
        let textStart = newline - textLength
        if textLength != lastTextLength {  // first line, or a marker longer than `size`: lay out again
            for position in textStart..<index { bytes[position] = UInt8(ascii: "x") }
            bytes.replaceSubrange((textStart - prefix.count)..<textStart, with: prefix)
            lastTextLength = textLength
        } else if lastMarkerStart < index {  // the last marker was longer: its first bytes are padding now
            for position in lastMarkerStart..<index { bytes[position] = UInt8(ascii: "x") }
        }
        lastMarkerStart = index
        return bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[(textStart - prefix.count)...])) }
    }
}
