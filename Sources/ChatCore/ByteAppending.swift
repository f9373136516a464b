// ByteAppending: appends a String's UTF-8 to a byte array with one copy of
// its contiguous storage. `append(contentsOf: string.utf8)` takes the generic
// sequence path, which callgrind measured at 178 instructions per word of a
// message line against 93 this way; every room line and stored message is
// built from such words. Also integers in decimal without a String (ids and
// counts in lines). Nothing else.

extension Array where Element == UInt8 {
    /// Appends `string`'s UTF-8 bytes.
    @inlinable
    public mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }

    /// Appends `value` in decimal ("-" first when negative), without building a String.
    @inlinable
    public mutating func appendDecimal(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64) = (0, 0)  // up to 20 digits, least significant first, 4 bits each
        var count = 0
        repeat {
            let digit = magnitude % 10
            if count < 16 { digits.0 |= digit << (4 * UInt64(count)) } else { digits.1 |= digit << (4 * UInt64(count - 16)) }
            magnitude /= 10
            count += 1
        } while magnitude > 0
        while count > 0 {
            count -= 1
            let digit = count < 16 ? digits.0 >> (4 * UInt64(count)) : digits.1 >> (4 * UInt64(count - 16))
            append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: digit & 0xF))
        }
    }
}
