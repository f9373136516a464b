// NATSNKeyTests: user nkeys against the published test vector (the seed,
// its public key and the signature of a nonce that every NATS client
// library checks), base32 round trips, and seeds refused with a reason
// (bad checksum, wrong type, not base32).
import Foundation
@testable import NATSClient
import Testing

@Suite("NATS nkeys")
struct NATSNKeyTests {
    static let seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"

    @Test("the published seed gives its public key and signs a nonce to the published signature")
    func knownVector() throws {
        let key = try NATSNKey(seed: Self.seed)
        #expect(key.publicKey == "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L")
        let expected = "ZaAiVDgB5CeYoXoQ7cBCmq+ZllzUnGUoDVb8C7PilWvCs8XKfUchAUhz2P4BYAF++Dg3w05CqyQFRDiGL6LrDw=="
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        #expect(try key.signNonce("PXoWU7zWAMt75FY") == expected)
    }

    @Test("encoding a raw seed and parsing it back gives the same key; base32 round-trips")
    func roundTrip() throws {
        let raw = try #require(Base32.decode(Self.seed))
        #expect(NATSNKey.encodeSeed(Array(raw[2..<34])) == Self.seed)
        for length in 0..<12 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }
    }

    @Test("a damaged, foreign or malformed seed is refused with a reason")
    func badSeeds() {
        var damaged = Array(Self.seed)
        damaged[20] = damaged[20] == "A" ? "B" : "A"
        #expect(throws: NATSError.invalidCredentials("the nkey seed's checksum does not match")) {
            try NATSNKey(seed: String(damaged))
        }
        let raw = Base32.decode(Self.seed)!
        var account = [UInt8(18 << 3), 0] + Array(raw[2..<34])  // an account seed ("SA...")
        let crc = NATSNKey.crc16(account[...])
        account += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        #expect(throws: NATSError.invalidCredentials("not a user nkey seed (it must start with SU)")) {
            try NATSNKey(seed: Base32.encode(account))
        }
        #expect(throws: NATSError.self) { try NATSNKey(seed: "not a seed!") }
        #expect(throws: NATSError.self) { try NATSNKey(seed: "") }
    }
}
