// NATSNKey: a NATS user nkey: the text form of an Ed25519 key that NATS
// servers accept in place of a password. A seed ("SU...") is base32 (no
// padding) of two prefix bytes (seed, user), the 32-byte Ed25519 seed and a
// CRC-16 (polynomial 0x1021, little-endian); the public key ("U...") is one
// prefix byte, the 32-byte public key and its CRC-16. The client proves it
// holds the seed by signing the nonce from the server's INFO. Signing uses
// ChatNet's Ed25519SigningKey (OpenSSL). User JWTs (.creds files) are read by
// NATSUserCredentials, which signs with this type too.
import ChatNet
import Foundation

public struct NATSNKey {
    static let seedPrefix: UInt8 = 18 << 3
    static let userPrefix: UInt8 = 20 << 3

    private let signingKey: Ed25519SigningKey
    /// The public key as servers list it ("U..."), 56 characters.
    public let publicKey: String

    /// Parses a user seed ("SU...") and checks its checksum and prefixes.
    public init(seed text: String) throws(NATSError) {
        guard let raw = Base32.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 36 else {
            throw .invalidCredentials("the nkey seed is not 58 characters of base32")
        }
        guard Self.crc16(raw[0..<34]) == UInt16(raw[34]) | UInt16(raw[35]) << 8 else {
            throw .invalidCredentials("the nkey seed's checksum does not match")
        }
        let first = raw[0] & 0xF8
        let type = (raw[0] & 0x07) << 5 | (raw[1] & 0xF8) >> 3
        guard first == Self.seedPrefix, type == Self.userPrefix else {
            throw .invalidCredentials("not a user nkey seed (it must start with SU)")
        }
        do {
            signingKey = try Ed25519SigningKey(seed: Array(raw[2..<34]))
        } catch {
            throw .invalidCredentials("\(error)")
        }
        publicKey = Self.encodePublic(signingKey.publicKey)
    }

    /// The user seed text for a raw 32-byte Ed25519 seed (for tests and tools).
    public static func encodeSeed(_ seed: [UInt8]) -> String {
        var raw = [seedPrefix | userPrefix >> 5, (userPrefix & 31) << 3] + seed
        let crc = crc16(raw[...])
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        return Base32.encode(raw)
    }

    static func encodePublic(_ key: [UInt8]) -> String {
        var raw = [userPrefix] + key
        let crc = crc16(raw[...])
        raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        return Base32.encode(raw)
    }

    /// The signature of the server's nonce, base64url without padding, as CONNECT "sig" carries it.
    public func signNonce(_ nonce: String) throws(NATSError) -> String {
        do {
            let signature = try signingKey.sign(Array(nonce.utf8))
            return Data(signature).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        } catch {
            throw .invalidCredentials("signing the server's nonce failed: \(error)")
        }
    }

    /// CRC-16 with polynomial 0x1021, initial value 0, no reflection.
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}

/// RFC 4648 base32 (upper-case alphabet), without padding.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int(buffer >> UInt32(bits - 5) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int(buffer << UInt32(5 - bits) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// nil for characters outside the alphabet or leftover bits that are not zero.
    static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        var buffer: UInt32 = 0, bits = 0
        for character in text.utf8 {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                output.append(UInt8(buffer >> UInt32(bits - 8) & 0xFF))
                bits -= 8
            }
            buffer &= (1 << UInt32(bits)) - 1
        }
        return bits < 5 && buffer == 0 ? output : nil
    }
}
