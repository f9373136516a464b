// NATSUserCredentialsTests: parsing `.creds` files (the layout nsc writes:
// a user JWT block, a banner, a user nkey seed block): a good file, the same
// with CR LF line ends, and each defect refused with an error naming it
// (no JWT block, no seed block, an account JWT or seed, a seed that is not a
// user's, a JWT that is not three base64url parts or not a user's, a seed of
// another user, an unterminated block, a missing, too large or non-UTF-8
// file); no error or description ever shows the seed or the JWT signature.
// The JWT's expiry ("exp") is read when present and refused when malformed.
// The JWTs are built here (the parser checks their shape, not their
// signature; tests against nats-server sign them for real).
import Foundation
@testable import NATSClient
import Testing

@Suite("NATS .creds files")
struct NATSUserCredentialsTests {
    static let seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
    static let user = "UCK5N7N66OBOINFXAYC2ACJQYFSOD4VYNU6APEJTAVFZB2SVHLKGEW7L"
    static let signature = "c2lnbmF0dXJlLW5vdC1jaGVja2VkLWhlcmU"

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func jwt(subject: String = user, type: String = "user") -> String {
        base64URL(#"{"typ":"JWT","alg":"ed25519-nkey"}"#) + "."
            + base64URL(#"{"sub":"\#(subject)","iss":"AAAA","nats":{"type":"\#(type)","version":2}}"#) + "." + signature
    }

    /// A file as nsc writes it.
    static func creds(jwt: String = jwt(), seed: String = seed, jwtKind: String = "NATS USER JWT",
                      seedKind: String = "USER NKEY SEED") -> String {
        """
        -----BEGIN \(jwtKind)-----
        \(jwt)
        ------END \(jwtKind)------

        ************************* IMPORTANT *************************
        NKEY Seed printed below can be used to sign and prove identity.
        NKEYs are sensitive and should be treated as secrets.

        -----BEGIN \(seedKind)-----
        \(seed)
        ------END \(seedKind)------

        *************************************************************

        """
    }

    /// The error text of parsing `text`, or nil when it parsed.
    static func problem(_ text: String) -> String? {
        do {
            _ = try NATSUserCredentials(parsing: text, source: "test.creds")
            return nil
        } catch {
            return error.description
        }
    }

    @Test("a file as nsc writes it gives the JWT and the user's key; its description never shows the seed")
    func goodFile() throws {
        let credentials = try NATSUserCredentials(parsing: Self.creds())
        #expect(credentials.jwt == Self.jwt())
        #expect(credentials.userPublicKey == Self.user)
        #expect(credentials.seed == Self.seed)
        for shown in ["\(credentials)", String(reflecting: credentials), "\(Mirror(reflecting: credentials).children.map { $0 })"] {
            #expect(!shown.contains(Self.seed) && !shown.contains(Self.signature), "\(shown)")
        }
    }

    @Test("CR LF line ends (a file edited on Windows) are read like LF")
    func windowsLineEnds() throws {
        let credentials = try NATSUserCredentials(parsing: Self.creds().replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(credentials.jwt == Self.jwt() && credentials.userPublicKey == Self.user)
    }

    @Test("each defect is refused with an error naming it, never quoting the seed or the signature")
    func defects() throws {
        let otherUserSeed = NATSNKey.encodeSeed((0..<32).map { UInt8($0) })
        let otherUser = try NATSNKey(seed: otherUserSeed).publicKey
        // An account seed ("SA..."): seed prefix, account type (0), a key and its checksum.
        var accountRaw: [UInt8] = [NATSNKey.seedPrefix, 0] + [UInt8](repeating: 7, count: 32)
        let crc = NATSNKey.crc16(accountRaw[...])
        accountRaw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
        let accountSeed = Base32.encode(accountRaw)
        #expect(accountSeed.hasPrefix("SA"))
        let cases: [(String, String, String)] = [
            ("empty file", "", "no user JWT block"),
            ("seed only", Self.creds().components(separatedBy: "************************* IMPORTANT")[1], "no user JWT block"),
            ("JWT only", Self.creds().components(separatedBy: "************************* IMPORTANT")[0], "no user nkey seed block"),
            ("account JWT block", Self.creds(jwtKind: "NATS ACCOUNT JWT"), "is not a nats user jwt block"),
            ("account seed block", Self.creds(seedKind: "ACCOUNT NKEY SEED"), "is not a user nkey seed block"),
            ("seed not a user's", Self.creds(seed: accountSeed), "not a user nkey seed (it must start with SU)"),
            ("seed not base32", Self.creds(seed: "SUNOTASEED"), "the nkey seed is not 58 characters of base32"),
            ("JWT of two parts", Self.creds(jwt: "eyJhIjoxfQ.eyJhIjoxfQ"), "the user JWT is not three base64url parts"),
            ("JWT with a non-base64url character", Self.creds(jwt: Self.jwt() + "+"), "the user JWT is not three base64url parts"),
            ("JWT of an account", Self.creds(jwt: Self.jwt(type: "account")), "not a user's (their nats.type is 'account')"),
            ("JWT header not JSON", Self.creds(jwt: "bm90anNvbg." + Self.jwt().split(separator: ".").dropFirst().joined(separator: ".")),
             "the user JWT's header is not"),
            ("seed of another user", Self.creds(seed: otherUserSeed), "the seed does not belong to the JWT's user (the JWT is for \(Self.user), the seed is \(otherUser))"),
            ("empty JWT block", Self.creds(jwt: ""), "the NATS USER JWT block is empty"),
            ("block without END", "-----BEGIN NATS USER JWT-----\n" + Self.jwt() + "\n" + Self.seed + "\n", "followed by its END line"),
        ]
        for (label, text, expected) in cases {
            let problem = Self.problem(text)
            #expect(problem?.contains(expected) == true, "\(label): \(problem ?? "parsed")")
            #expect(problem?.hasPrefix("NATS credentials: test.creds: ") == true, "\(label): \(problem ?? "parsed")")
            #expect(problem.map { !$0.contains(Self.seed) && !$0.contains(Self.signature) } ?? true, "\(label) quotes a secret")
        }
    }

    @Test("a missing, too large or non-UTF-8 file is refused naming the file")
    func files() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("creds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = directory + "/good.creds"
        try Self.creds().write(toFile: good, atomically: true, encoding: .utf8)
        #expect(try NATSUserCredentials.load(path: good).userPublicKey == Self.user)
        #expect(throws: NATSError.invalidCredentials("cannot read the credentials file \(directory)/none.creds: No such file or directory")) {
            try NATSUserCredentials.load(path: directory + "/none.creds")
        }
        let large = directory + "/large.creds"
        let padding = String(repeating: "#\n", count: NATSUserCredentials.maximumFileSize / 2)
        try (Self.creds() + padding).write(toFile: large, atomically: true, encoding: .utf8)
        #expect(throws: NATSError.invalidCredentials("\(large): the credentials file is larger than \(NATSUserCredentials.maximumFileSize) bytes")) {
            try NATSUserCredentials.load(path: large)
        }
        let binary = directory + "/binary.creds"
        try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: NATSError.invalidCredentials("\(binary): the credentials file is not UTF-8 text")) {
            try NATSUserCredentials.load(path: binary)
        }
    }

    @Test("the JWT's expiry is read when present, absent means never, a malformed one is refused")
    func expiry() throws {
        func jwt(claims: String) -> String {
            Self.base64URL(#"{"typ":"JWT","alg":"ed25519-nkey"}"#) + "." + Self.base64URL(claims) + "." + Self.signature
        }
        let head = #"{"sub":"\#(Self.user)","iss":"AAAA","nats":{"type":"user","version":2}"#
        let dated = try NATSUserCredentials(parsing: Self.creds(jwt: jwt(claims: head + #","exp":1800000000}"#)))
        #expect(dated.expires == 1_800_000_000)
        #expect(!dated.hasExpired(at: 1_799_999_999) && dated.hasExpired(at: 1_800_000_000))
        let never = try NATSUserCredentials(parsing: Self.creds())
        #expect(never.expires == nil && !never.hasExpired(at: .max))
        for bad in [#","exp":"soon"}"#, #","exp":-5}"#, #","exp":1.5}"#, #","exp":null}"#] {
            #expect(throws: NATSError.self, "\(bad)") { try NATSUserCredentials(parsing: Self.creds(jwt: jwt(claims: head + bad))) }
        }
    }
}
