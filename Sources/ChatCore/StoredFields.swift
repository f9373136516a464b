// StoredFields: the byte-level rules both history encodings (SQLite segment
// bodies, JetStream batch payloads) share for the fields they write as words:
// a name that can stand as one word of a stored line, and the trust word read
// back. Pure checks over bytes, inlinable so the stores' hot loops stay
// specialised.

public enum StoredFields {
    /// A name that can be one space-separated word of a stored line: not empty, not "-"
    /// (which stands for "no recipient"), no space or line break.
    @inlinable
    public static func isStorableName<Bytes: Collection<UInt8>>(_ name: Bytes) -> Bool {
        !name.isEmpty && !(name.count == 1 && name.first == UInt8(ascii: "-"))
            && !name.contains { $0 == 32 || $0 == 10 || $0 == 13 }
    }

    /// The trust a stored word names ("cert", "tls", "plain"), compared as bytes; nil otherwise.
    @inlinable
    public static func trust<Bytes: Collection<UInt8>>(_ word: Bytes) -> Trust? {
        switch word.count {
        case 3 where word.elementsEqual("tls".utf8): .tls
        case 4 where word.elementsEqual("cert".utf8): .cert
        case 5 where word.elementsEqual("plain".utf8): .plain
        default: nil
        }
    }
}
