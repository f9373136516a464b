// ServerKeyPinTests: the pure half of tlschat --pin: pins are read in base64
// (44 characters with padding) or hex (64 digits) after "sha256:", anything
// else is refused with words that say what is wrong; one match among several
// pins is enough (rotation); a mismatch names every expected pin and the
// received hash in the same spelling.
@testable import ChatNet
import Testing

@Suite("Server key pins")
struct ServerKeyPinTests {
    static let counting = (0..<32).map { UInt8($0) }
    static let countingBase64 = "sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    static let countingHex = "sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    @Test("base64 and hex spellings of one digest parse to it and spell back the same way")
    func bothSpellings() throws {
        let base64 = try ServerKeyPin.parse(Self.countingBase64)
        let hex = try ServerKeyPin.parse(Self.countingHex)
        let upperHex = try ServerKeyPin.parse(Self.countingHex.uppercased().replacingOccurrences(of: "SHA256:", with: "sha256:"))
        #expect(base64.digest == Self.counting && hex.digest == Self.counting && upperHex.digest == Self.counting)
        #expect(base64.description == Self.countingBase64)
        #expect(hex.description == Self.countingHex)
        #expect(hex.spelled(.base64) == Self.countingBase64 && base64.spelled(.hex) == Self.countingHex)
        #expect(ServerKeyPin(digest: [UInt8](repeating: 0xFF, count: 32)).description == "sha256:" + String(repeating: "/", count: 42) + "8=")
    }

    @Test("refused with a reason: no prefix, another algorithm, wrong length, bad characters, missing padding, non-canonical base64",
          arguments: [
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "must start with sha256:"),
            ("sha1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "must start with sha256:"),
            ("sha256:", "has 0 characters after sha256:"),
            ("sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "has 43 characters"),
            ("sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==", "has 45 characters"),
            ("sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", "is not valid base64"),
            ("sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-=", "is not valid base64"),
            ("sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", "is not valid base64"),
            ("sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g", "is not valid hex"),
            ("sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1", "has 63 characters"),
          ])
    func refused(_ text: String, _ reason: String) {
        do {
            _ = try ServerKeyPin.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.contains(reason), "\(error)")
        }
    }

    @Test("rotation: a digest matching any one of several pins matches; one matching none does not")
    func rotation() throws {
        let old = try ServerKeyPin.parse(Self.countingBase64)
        let new = ServerKeyPin(digest: [UInt8](repeating: 7, count: 32))
        #expect(ServerKeyPin.matches(Self.counting, anyOf: [new, old]))
        #expect(ServerKeyPin.matches(new.digest, anyOf: [new, old]))
        #expect(!ServerKeyPin.matches([UInt8](repeating: 8, count: 32), anyOf: [new, old]))
        #expect(!ServerKeyPin.matches(Self.counting, anyOf: []))
    }

    @Test("a mismatch names every expected pin and the received hash, in the spelling of the pins given")
    func mismatchWording() throws {
        let received = [UInt8](repeating: 0xFF, count: 32)
        let base64 = ServerKeyPin.mismatch(received: received, expected: [try ServerKeyPin.parse(Self.countingBase64)])
        #expect(base64 == "server public key pin mismatch: expected \(Self.countingBase64), received sha256:" + String(repeating: "/", count: 42) + "8=")
        let hex = ServerKeyPin.mismatch(received: received, expected: [try ServerKeyPin.parse(Self.countingHex),
                                                                       ServerKeyPin(digest: [UInt8](repeating: 0, count: 32))])
        #expect(hex == "server public key pin mismatch: expected \(Self.countingHex) or sha256:\(String(repeating: "0", count: 64)), received sha256:\(String(repeating: "f", count: 64))")
        #expect(ServerKeyPin.mismatch(received: [], expected: [try ServerKeyPin.parse(Self.countingHex)]).hasSuffix("received none (no public key could be read)"))
    }
}
