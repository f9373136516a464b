// Base64: the decoder SASL needs (RFC 4648, standard alphabet, padding
// required), for the authorization identity of AUTHENTICATE EXTERNAL. Pure.

enum Base64 {
    /// The UTF-8 text `encoded` stands for, or nil when it is not valid base64 or not UTF-8.
    static func decodeToString(_ encoded: String) -> String? {
        let characters = Array(encoded.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 0
        while index < characters.count {
            var values: [UInt8] = []
            var padding = 0
            for character in characters[index..<index + 4] {
                if character == UInt8(ascii: "=") { padding += 1; values.append(0); continue }
                guard padding == 0, let value = sextet(character) else { return nil }
                values.append(value)
            }
            guard padding <= 2, padding == 0 || index + 4 == characters.count else { return nil }
            let group = (UInt32(values[0]) << 18) | (UInt32(values[1]) << 12) | (UInt32(values[2]) << 6) | UInt32(values[3])
            bytes.append(UInt8(group >> 16 & 0xFF))
            if padding < 2 { bytes.append(UInt8(group >> 8 & 0xFF)) }
            if padding < 1 { bytes.append(UInt8(group & 0xFF)) }
            index += 4
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func sextet(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
