// NATSUserCredentials: a NATS user's decentralized-auth credentials, as a
// `.creds` file holds them (the format `nsc` writes): a block with the user
// JWT ("-----BEGIN NATS USER JWT-----", one line, "------END NATS USER
// JWT------") and a block with the user's nkey seed ("-----BEGIN USER NKEY
// SEED-----", one line, "------END USER NKEY SEED------"); text around the
// blocks (nsc's warning banner) is ignored, LF or CR LF line ends. Reading is
// bounded (`maximumFileSize`) and every defect is a NATSError.invalidCredentials
// naming what is wrong, never quoting the seed or the JWT's signature.
// Checked here: the JWT is three base64url parts whose claims are a user's
// ("nats": {"type": "user"}) and whose subject is the seed's public key.
// Read for the caller: the JWT's expiry (`expires`, its "exp" claim), so a
// node can refuse an expired JWT at start with its date. Not checked: the
// JWT's signature or issuer (the server decides); NATSClient signs the
// server's nonce with the seed (NATSNKey) at CONNECT.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct NATSUserCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The largest `.creds` file read (nsc writes 1-4 KiB; permissions lists make JWTs grow).
    public static let maximumFileSize = 64 * 1024

    /// The user JWT, as CONNECT's "jwt" carries it.
    public let jwt: String
    /// The user's public nkey ("U..."): the JWT's subject.
    public let userPublicKey: String
    /// The user nkey seed ("SU..."): a secret, only for signing the server's nonce.
    let seed: String
    /// When the JWT expires, in seconds since 1970-01-01 UTC (its "exp" claim); nil: never.
    public let expires: Int64?

    /// Parses the text of a `.creds` file; `source` names it in errors (e.g. its path).
    public init(parsing text: String, source: String = "the credentials") throws(NATSError) {
        func problem(_ why: String) -> NATSError { .invalidCredentials("\(source): \(why)") }
        // As Characters, CR LF is one (a newline), so both line ends split alike.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let jwt = try Self.block(in: lines, kind: "NATS USER JWT", other: "JWT", problem: problem) else {
            throw problem("no user JWT block (a line -----BEGIN NATS USER JWT-----)")
        }
        guard let seed = try Self.block(in: lines, kind: "USER NKEY SEED", other: "NKEY SEED", problem: problem) else {
            throw problem("no user nkey seed block (a line -----BEGIN USER NKEY SEED-----)")
        }
        let key: NATSNKey
        do {
            key = try NATSNKey(seed: seed)
        } catch {
            guard case .invalidCredentials(let why) = error else { throw error }
            throw problem(why)
        }
        let (subject, expires) = try Self.userClaims(of: jwt, problem: problem)
        guard subject == key.publicKey else {
            throw problem("the seed does not belong to the JWT's user (the JWT is for \(subject), the seed is \(key.publicKey))")
        }
        self.jwt = jwt
        self.seed = seed
        self.userPublicKey = key.publicKey
        self.expires = expires
    }

    /// Whether the JWT has expired at `now` (seconds since 1970-01-01 UTC).
    public func hasExpired(at now: Int64) -> Bool { expires.map { $0 <= now } ?? false }

    /// Reads and parses a `.creds` file; refuses a missing, unreadable or too large one.
    public static func load(path: String) throws(NATSError) -> NATSUserCredentials {
        guard let file = fopen(path, "r") else {
            throw .invalidCredentials("cannot read the credentials file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: maximumFileSize + 1)
        let count = fread(&bytes, 1, bytes.count, file)
        guard ferror(file) == 0 else {
            throw .invalidCredentials("cannot read the credentials file \(path): \(String(cString: strerror(errno)))")
        }
        guard count <= maximumFileSize else {
            throw .invalidCredentials("\(path): the credentials file is larger than \(maximumFileSize) bytes")
        }
        guard let text = String(validating: bytes[..<count], as: UTF8.self) else {
            throw .invalidCredentials("\(path): the credentials file is not UTF-8 text")
        }
        return try NATSUserCredentials(parsing: text, source: path)
    }

    /// The one line between "---...BEGIN <kind>...---" and its "---...END...---" line; nil when
    /// there is no such block. A block of the same family but another kind (an account JWT, an
    /// operator seed) is named in the error rather than reported as missing.
    private static func block(in lines: [String], kind: String, other: String,
                              problem: (String) -> NATSError) throws(NATSError) -> String? {
        func isMarker(_ line: String) -> Bool { line.hasPrefix("---") && line.hasSuffix("---") }
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard isMarker(line), line.contains("BEGIN"), line.contains(other) else { continue }
            let name = line.trimmingCharacters(in: CharacterSet(charactersIn: "- ")).dropFirst("BEGIN ".count)
            guard name == kind else {
                throw problem("the block '\(line)' is not a \(kind.lowercased()) block (-----BEGIN \(kind)-----)")
            }
            let value = index + 1 < lines.count ? lines[index + 1].trimmingCharacters(in: .whitespaces) : ""
            guard !value.isEmpty, !isMarker(value) else { throw problem("the \(kind) block is empty") }
            guard index + 2 < lines.count, isMarker(lines[index + 2].trimmingCharacters(in: .whitespaces)),
                  lines[index + 2].contains("END") else {
                throw problem("the \(kind) block must be one line followed by its END line (------END \(kind)------)")
            }
            return value
        }
        return nil
    }

    /// The subject and expiry of a user JWT, after checking its shape; errors never quote the JWT.
    private static func userClaims(of jwt: String, problem: (String) -> NATSError) throws(NATSError) -> (String, Int64?) {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(isBase64URL) }) else {
            throw problem("the user JWT is not three base64url parts separated by dots")
        }
        guard let header = base64URLDecode(parts[0]).flatMap(jsonObject),
              (header["typ"] as? String)?.uppercased() == "JWT",
              ["ed25519-nkey", "ed25519"].contains((header["alg"] as? String)?.lowercased() ?? "") else {
            throw problem("the user JWT's header is not {\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}")
        }
        guard let claims = base64URLDecode(parts[1]).flatMap(jsonObject) else {
            throw problem("the user JWT's claims are not a JSON object")
        }
        let type = (claims["nats"] as? [String: Any])?["type"] as? String
        guard type == "user" else {
            throw problem("the JWT's claims are not a user's (their nats.type is \(type.map { "'\($0)'" } ?? "missing"))")
        }
        guard let subject = claims["sub"] as? String, subject.hasPrefix("U"), subject.count == 56 else {
            throw problem("the user JWT has no user public key (U...) as its subject")
        }
        guard let exp = claims["exp"] else { return (subject, nil) }
        guard let expires = (exp as? NSNumber).flatMap({ Int64(exactly: $0.doubleValue) }), expires > 0 else {
            throw problem("the user JWT's expiry (exp) is not a positive whole number of seconds")
        }
        return (subject, expires)
    }

    private static func isBase64URL(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "-" || character == "_")
    }

    private static func base64URLDecode(_ part: Substring) -> Data? {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text)
    }

    private static func jsonObject(_ data: Data) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    // The seed never shows in logs, string interpolation or debugger dumps.
    public var description: String { "NATS user credentials for \(userPublicKey)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["userPublicKey": userPublicKey]) }
}
