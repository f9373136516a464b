// ServerKeyPin: one pin of a server's public key, as tlschat --pin takes it:
// "sha256:" and the SHA-256 of the server certificate's SubjectPublicKeyInfo
// (DER), written as base64 (44 characters with the "=" padding) or as hex (64
// digits). A renewed certificate for the same key keeps its pin.
//
// It parses pins (anything else is a `Problem` saying what is wrong), spells
// them, tells whether a received digest matches any of several pins (rotation:
// one match is enough) and words a mismatch with the expected pins and the
// received hash in the same spelling. Pure: it computes no hash and touches no
// OpenSSL (TLSContext+Pinning does), and it decides nothing about trust.

public struct ServerKeyPin: Sendable, Equatable, CustomStringConvertible {
    public enum Spelling: Sendable, Equatable { case base64, hex }

    /// The 32 bytes of the SHA-256 digest.
    public let digest: [UInt8]
    /// How the user wrote it; a mismatch is explained in this spelling.
    public let spelling: Spelling

    public static let prefix = "sha256:"
    static let digestLength = 32

    public init(digest: [UInt8], spelling: Spelling = .base64) {
        precondition(digest.count == Self.digestLength, "a SHA-256 digest has 32 bytes")
        self.digest = digest
        self.spelling = spelling
    }

    /// A pin that cannot be used; `description` says why.
    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Reads "sha256:" + 44 base64 characters (with padding) or 64 hex digits.
    public static func parse(_ text: String) throws(Problem) -> ServerKeyPin {
        let shown = String(text.unicodeScalars.prefix(80).map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : "?" })
        guard text.hasPrefix(prefix) else {
            throw Problem(description: "pin '\(shown)' must start with sha256: (the SHA-256 of the server's public key, as tlschat --print-pin HOST:PORT prints it)")
        }
        let value = Array(text.utf8.dropFirst(prefix.utf8.count))
        switch value.count {
        case 44:
            guard let digest = decodeBase64(value) else {
                throw Problem(description: "pin '\(shown)' is not valid base64: 43 characters of A-Z a-z 0-9 + / and one '=' were expected")
            }
            return ServerKeyPin(digest: digest, spelling: .base64)
        case 64:
            guard let digest = decodeHex(value) else {
                throw Problem(description: "pin '\(shown)' is not valid hex: 64 digits 0-9 a-f were expected")
            }
            return ServerKeyPin(digest: digest, spelling: .hex)
        default:
            throw Problem(description: "pin '\(shown)' has \(value.count) characters after sha256:; a SHA-256 pin has 44 (base64 with '=' padding) or 64 (hex)")
        }
    }

    public var description: String { spelled(spelling) }

    /// "sha256:" + the digest in `spelling` (hex in lower case).
    public func spelled(_ spelling: Spelling) -> String {
        Self.prefix + (spelling == .base64 ? Self.base64(digest) : Self.hex(digest))
    }

    /// True when `digest` equals the digest of one of `pins`.
    public static func matches(_ digest: [UInt8], anyOf pins: [ServerKeyPin]) -> Bool {
        pins.contains { $0.digest == digest }
    }

    /// The words for a server whose key matches none of `expected`: every expected pin and the
    /// received hash, all in the spelling of the first expected pin, so they compare by eye.
    public static func mismatch(received: [UInt8], expected: [ServerKeyPin]) -> String {
        let spelling = expected.first?.spelling ?? .base64
        let wanted = expected.map { $0.spelled(spelling) }.joined(separator: " or ")
        let got = received.count == digestLength ? ServerKeyPin(digest: received).spelled(spelling) : "none (no public key could be read)"
        return "server public key pin mismatch: expected \(wanted), received \(got)"
    }

    // MARK: Encodings

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// 44 characters of canonical base64 for 32 bytes (the unused low bits of the last digit zero), else nil.
    static func decodeBase64(_ text: [UInt8]) -> [UInt8]? {
        guard text.count == 44, text[43] == UInt8(ascii: "=") else { return nil }
        var bits = 0
        var count = 0
        var out: [UInt8] = []
        for character in text.prefix(43) {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            bits = bits << 6 | value
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8((bits >> count) & 0xFF))
                bits &= (1 << count) - 1
            }
        }
        return out.count == digestLength && bits == 0 ? out : nil
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    static func decodeHex(_ text: [UInt8]) -> [UInt8]? {
        func nibble(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return character - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        guard text.count == 2 * digestLength else { return nil }
        var out: [UInt8] = []
        for index in stride(from: 0, to: text.count, by: 2) {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else { return nil }
            out.append(high << 4 | low)
        }
        return out
    }
}
