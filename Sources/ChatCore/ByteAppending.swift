// ByteAppending: appends a String's UTF-8 to a byte array with one copy of
// its contiguous storage. `append(contentsOf: string.utf8)` takes the generic
// sequence path, which callgrind measured at 178 instructions per word of a
// message line against 93 this way; every room line and stored message is
// built from such words. Nothing else.

extension Array where Element == UInt8 {
    /// Appends `string`'s UTF-8 bytes.
    @inlinable
    public mutating func appendUTF8(_ string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: $0) }
    }
}
