// Identity: trust levels and the name rules of PROTOCOL.md section 3.
//
// The server layer hands the core an explicit `ClientCredentials` value (the
// transport and, only for a verified client certificate, its commonName,
// fingerprint and end of validity); the core never looks at connections. `NameRules` validates
// and normalises names: certificate names are bare, anonymous names live in
// the "~" namespace, comparisons are ASCII case-insensitive. Pure.

/// How far a user's name can be trusted.
public enum Trust: String, Sendable {
    /// A CA-verified client certificate bound the name.
    case cert
    /// Encrypted, but no usable certificate: anonymous.
    case tls
    /// The plaintext listener: anonymous and unencrypted.
    case plain
}

public enum Transport: String, Sendable {
    case tls, plain
}

/// What the server layer knows about a new connection.
public struct ClientCredentials: Sendable {
    public var transport: Transport
    /// The subject commonName of a verified client certificate, else nil.
    public var certificateCommonName: String?
    /// "sha256:" + hex of the verified client certificate, else nil.
    public var certificateFingerprint: String?
    /// When the verified client certificate stops being valid (notAfter), in seconds since
    /// 1970-01-01 UTC, else nil.
    public var certificateNotAfter: Int64?

    public init(transport: Transport, certificateCommonName: String? = nil, certificateFingerprint: String? = nil,
                certificateNotAfter: Int64? = nil) {
        self.transport = transport
        self.certificateCommonName = certificateCommonName
        self.certificateFingerprint = certificateFingerprint
        self.certificateNotAfter = certificateNotAfter
    }
}

public struct NameRules: Sendable {
    public let limits: ChatLimits
    public static let reservedAnonymousNames: Set<String> = ["~server", "~admin", "~root", "~system", "~tlschat", "~operator"]

    public init(limits: ChatLimits) { self.limits = limits }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": return true
        default: return false
        }
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9": return true
        default: return false
        }
    }

    /// A valid certificate name: 1...max characters of [A-Za-z0-9._-], starting alphanumeric.
    public func isValidCertificateName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, scalars.count <= limits.maximumNameLength,
              Self.isAlphanumeric(first) else { return false }
        return scalars.allSatisfy(Self.isNameCharacter)
    }

    /// The name a verified certificate gives, or nil when its CN is not usable.
    public func certificateName(_ commonName: String?) -> String? {
        guard let commonName, isValidCertificateName(commonName) else { return nil }
        return commonName
    }

    /// The anonymous name requested by NICK ("carol" or "~carol" -> "~carol"), or nil if invalid.
    public func anonymousName(_ requested: String) -> String? {
        let bare = requested.hasPrefix("~") ? String(requested.dropFirst()) : requested
        let scalars = Array(bare.unicodeScalars)
        guard !scalars.isEmpty, scalars.count <= limits.maximumNameLength - 1,
              scalars.allSatisfy(Self.isNameCharacter) else { return nil }
        return "~" + bare
    }

    /// The lower-cased room name for "#Dev" style input, or nil if invalid.
    public func roomName(_ requested: String) -> String? {
        guard requested.hasPrefix("#") else { return nil }
        let scalars = Array(requested.unicodeScalars.dropFirst())
        guard !scalars.isEmpty, scalars.count <= limits.maximumRoomNameLength,
              scalars.allSatisfy(Self.isNameCharacter) else { return nil }
        return Self.key(requested)
    }

    /// The key under which a name is unique: ASCII letters lower-cased, nothing
    /// else touched (Unicode case folding would let "K" (U+212A) match "k").
    public static func key(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            ("A"..."Z").contains(scalar) ? Unicode.Scalar(scalar.value + 32)! : scalar
        }))
    }
}
