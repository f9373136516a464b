// NATSOperatorSetup: a NATS decentralized-auth (JWT) setup made from scratch
// for tests: an operator, a system account (nats-server needs one for
// JetStream in operator mode), an account with JetStream on, and users of
// that account, each with fresh Ed25519 keys (ChatNet's Ed25519SigningKey)
// in NATS nkey text form. It signs the operator, account and user JWTs
// (header {"typ":"JWT","alg":"ed25519-nkey"}, claims as nats-server 2.9
// reads them), writes `.creds` files, and writes the server configuration
// (operator JWT file, resolver MEMORY, resolver_preload of both accounts).
// It starts nothing; tests start nats-server with `serverConfiguration`.
import ChatNet
import Foundation
@testable import NATSClient

struct NATSOperatorSetup {
    /// One nkey: the signing key and its public text ("O...", "A...", "U...").
    struct Key {
        let signingKey: Ed25519SigningKey
        let rawSeed: [UInt8]
        let publicKey: String

        /// A fresh key whose public text has the given prefix byte (operator 14<<3, account 0, user 20<<3).
        init(prefix: UInt8) throws {
            var generator = SystemRandomNumberGenerator()
            rawSeed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            signingKey = try Ed25519SigningKey(seed: rawSeed)
            var raw = [prefix] + signingKey.publicKey
            let crc = NATSNKey.crc16(raw[...])
            raw += [UInt8(crc & 0xFF), UInt8(crc >> 8)]
            publicKey = Base32.encode(raw)
        }
    }

    static let operatorPrefix: UInt8 = 14 << 3
    static let accountPrefix: UInt8 = 0
    static let userPrefix: UInt8 = 20 << 3

    let directory: String
    let operatorKey: Key
    let systemAccount: Key
    let account: Key
    let operatorJWT: String
    let systemAccountJWT: String
    let accountJWT: String

    /// Makes the keys and the operator and account JWTs; files go to `directory`.
    init(directory: String) throws {
        self.directory = directory
        operatorKey = try Key(prefix: Self.operatorPrefix)
        systemAccount = try Key(prefix: Self.accountPrefix)
        account = try Key(prefix: Self.accountPrefix)
        operatorJWT = try Self.sign(["sub": operatorKey.publicKey, "name": "test-operator",
                                     "nats": ["type": "operator", "version": 2, "system_account": systemAccount.publicKey]],
                                    by: operatorKey)
        let unlimited: [String: Any] = ["subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
                                        "wildcards": true, "conn": -1, "leaf": -1]
        systemAccountJWT = try Self.sign(["sub": systemAccount.publicKey, "name": "SYS",
                                          "nats": ["type": "account", "version": 2, "limits": unlimited]], by: operatorKey)
        let withJetStream = unlimited.merging(["mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1]) { $1 }
        accountJWT = try Self.sign(["sub": account.publicKey, "name": "chat",
                                    "nats": ["type": "account", "version": 2, "limits": withJetStream]], by: operatorKey)
    }

    /// A signed JWT: base64url(header).base64url(claims).base64url(Ed25519 signature of the first two).
    static func sign(_ claims: [String: Any], by issuer: Key) throws -> String {
        var claims = claims
        claims["iss"] = issuer.publicKey
        claims["iat"] = Int(Date().timeIntervalSince1970)
        claims["jti"] = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let header = base64URL(Data(#"{"typ":"JWT","alg":"ed25519-nkey"}"#.utf8))
        let body = base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let signature = try issuer.signingKey.sign(Array("\(header).\(body)".utf8))
        return "\(header).\(body).\(base64URL(Data(signature)))"
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Writes a `.creds` file (nsc's layout) for a new user signed by `signer` (by default the
    /// account the server knows) and returns its path.
    func writeUserCredentials(named name: String, signedBy signer: Key? = nil, expires: Int64? = nil) throws -> String {
        let user = try Key(prefix: Self.userPrefix)
        let issuer = signer ?? account
        var claims: [String: Any] = ["sub": user.publicKey, "name": name,
                                     "nats": ["type": "user", "version": 2, "subs": -1, "data": -1, "payload": -1]]
        if let expires { claims["exp"] = expires }
        let jwt = try Self.sign(claims, by: issuer)
        let text = """
            -----BEGIN NATS USER JWT-----
            \(jwt)
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.
            NKEYs are sensitive and should be treated as secrets.

            -----BEGIN USER NKEY SEED-----
            \(NATSNKey.encodeSeed(user.rawSeed))
            ------END USER NKEY SEED------

            *************************************************************

            """
        let path = "\(directory)/\(name).creds"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes the operator JWT and the server configuration; returns the configuration's path.
    func writeServerConfiguration() throws -> String {
        let operatorFile = directory + "/operator.jwt"
        try operatorJWT.write(toFile: operatorFile, atomically: true, encoding: .utf8)
        let configuration = """
            operator: "\(operatorFile)"
            system_account: \(systemAccount.publicKey)
            resolver: MEMORY
            resolver_preload: {
              \(systemAccount.publicKey): "\(systemAccountJWT)"
              \(account.publicKey): "\(accountJWT)"
            }

            """
        let path = directory + "/operator.conf"
        try configuration.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
