// ByteAppendingTests: the byte builders every line goes through give the same
// bytes as Strings would: UTF-8 of any string, and integers in decimal at
// the edges of Int64 and for a seeded spread of values between.
import ChatCore
import Testing

@Suite struct ByteAppendingTests {
    @Test func integersAreWrittenAsStringWouldWriteThem() {
        var generator = SplitMix(seed: 15)
        var values: [Int64] = [0, 1, 9, 10, 99, 100, -1, -9, -10, 1_000_000_007, .max, .min, .max - 1, .min + 1]
        values += (0..<2000).map { _ in Int64(bitPattern: generator.next()) >> Int64(generator.next() % 64) }
        for value in values {
            var bytes: [UInt8] = [UInt8(ascii: "x")]
            bytes.appendDecimal(value)
            #expect(bytes == Array("x\(value)".utf8), "\(value)")
        }
    }

    @Test func stringsAreAppendedAsTheirUTF8() {
        for string in ["", "a", "héllo 👋", String(repeating: "z", count: 1000), "tab\there"] {
            var bytes: [UInt8] = [1, 2]
            bytes.appendUTF8(string)
            #expect(bytes == [1, 2] + Array(string.utf8))
        }
    }
}

/// A small seeded generator (SplitMix64), so failures repeat.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
