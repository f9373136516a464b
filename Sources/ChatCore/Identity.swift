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

    // Names are ASCII by these rules, so they are checked over UTF-8 bytes: a byte of a
    // non-ASCII scalar is never a name character, and for valid names bytes and scalars
    // count alike. No scalar arrays: names are checked for every message from other nodes.
    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): return true
        default: return false
        }
    }

    private static func isAlphanumericByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return true
        default: return false
        }
    }

    /// 1...`maximum` name characters (bytes), the first alphanumeric when `alphanumericFirst`.
    private static func isName(_ name: Substring, maximum: Int, alphanumericFirst: Bool) -> Bool {
        var name = name
        return name.withUTF8 { isName($0[...], maximum: maximum, alphanumericFirst: alphanumericFirst) }  // contiguous: no copy
    }

    private static func isName(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, maximum: Int, alphanumericFirst: Bool) -> Bool {
        guard let first = bytes.first, bytes.count <= maximum, !alphanumericFirst || isAlphanumericByte(first) else { return false }
        return bytes.allSatisfy(isNameByte)
    }

    /// `isValidCertificateName` over a name's UTF-8 bytes.
    public func isValidCertificateName(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        Self.isName(bytes, maximum: limits.maximumNameLength, alphanumericFirst: true)
    }

    /// `isValidAnonymousName` over a name's UTF-8 bytes.
    public func isValidAnonymousName(bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        bytes.first == UInt8(ascii: "~") && Self.isName(bytes.dropFirst(), maximum: limits.maximumNameLength - 1, alphanumericFirst: false)
    }

    /// A valid certificate name: 1...max characters of [A-Za-z0-9._-], starting alphanumeric.
    public func isValidCertificateName(_ name: String) -> Bool {
        Self.isName(name[...], maximum: limits.maximumNameLength, alphanumericFirst: true)
    }

    /// The name a verified certificate gives, or nil when its CN is not usable.
    public func certificateName(_ commonName: String?) -> String? {
        guard let commonName, isValidCertificateName(commonName) else { return nil }
        return commonName
    }

    /// The anonymous name requested by NICK ("carol" or "~carol" -> "~carol"), or nil if invalid.
    public func anonymousName(_ requested: String) -> String? {
        let bare = requested.hasPrefix("~") ? requested.dropFirst() : requested[...]
        guard Self.isName(bare, maximum: limits.maximumNameLength - 1, alphanumericFirst: false) else { return nil }
        return requested.hasPrefix("~") ? requested : "~" + bare
    }

    /// Whether `name` is an anonymous name as `anonymousName` returns it ("~carol"), without building one.
    public func isValidAnonymousName(_ name: String) -> Bool {
        name.hasPrefix("~") && Self.isName(name.dropFirst(), maximum: limits.maximumNameLength - 1, alphanumericFirst: false)
    }

    /// The lower-cased room name for "#Dev" style input, or nil if invalid.
    public func roomName(_ requested: String) -> String? {
        guard requested.hasPrefix("#"),
              Self.isName(requested.dropFirst(), maximum: limits.maximumRoomNameLength, alphanumericFirst: false) else { return nil }
        return Self.key(requested)
    }

    /// The key under which a name is unique: ASCII letters lower-cased, nothing
    /// else touched (Unicode case folding would let "K" (U+212A) match "k").
    public static func key(_ name: String) -> String {
        // Most names have no capital: the same string, nothing built.
        var name = name
        return name.withUTF8 { bytes in
            guard bytes.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { return nil }
            return String(decoding: bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }, as: UTF8.self)
        } ?? name
    }
}
