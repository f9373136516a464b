// ClusterSubjects: the names one cluster uses on NATS, derived from the
// cluster's name so that several clusters can share one NATS system. Room and
// user names may hold characters NATS subjects forbid ("." splits tokens,
// "*" and ">" are wildcards, spaces end a subject), so a name becomes a token
// as the lower-case hex of the UTF-8 bytes of its ChatCore name key
// (NameRules.key: "#Dev" and "#dev" give the same token); hex is always a
// valid token and decodes back. The cluster name itself must be 1...32 of
// [A-Za-z0-9_-] and is case-insensitive: subjects use it in lower case, the
// stream and bucket names in upper case. History layout (one stream):
//   stream  TLSCHAT_<NAME>, subjects tlschat.<name>.history.>
//   room    tlschat.<name>.history.room.<hex(room key)>
//   private tlschat.<name>.history.dm.<hex(key a)>.<hex(key b)>, a <= b
// Certificate-only marks live in the KV bucket TLSCHAT_<NAME>_CERTONLY, key
// <hex(room key)>, so the stream's age limit never removes them. `subject(_:)`
// makes other subjects under tlschat.<name> (for the cluster link). Pure: it
// sends nothing.
import ChatCore

public struct ClusterSubjects: Sendable, Equatable {
    /// The cluster name in lower case, as used in subjects.
    public let clusterToken: String

    /// Accepts 1...32 of [A-Za-z0-9_-]; throws a one-line reason otherwise.
    public init(clusterName: String) throws(HistoryError) {
        let allowed = clusterName.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 45 || byte == 95
        }
        guard (1...32).contains(clusterName.utf8.count), allowed else {
            throw HistoryError(.failed, "cluster name '\(clusterName.prefix(40))' must be 1 to 32 letters, digits, '-' or '_'")
        }
        clusterToken = NameRules.key(clusterName)
    }

    /// The stream holding the cluster's history.
    public var historyStream: String { "TLSCHAT_" + clusterToken.uppercased() }
    /// The KV bucket holding the certificate-only marks.
    public var certificateOnlyBucket: String { historyStream + "_CERTONLY" }
    /// The prefix of every history subject.
    public var historyPrefix: String { "tlschat.\(clusterToken).history" }
    /// The stream's subject filter.
    public var historyWildcard: String { historyPrefix + ".>" }

    /// "tlschat.<name>." followed by `tokens` joined with dots (each must already be a valid token).
    public func subject(_ tokens: String...) -> String {
        (["tlschat", clusterToken] + tokens).joined(separator: ".")
    }

    /// The history subject of `scope`.
    public func historySubject(_ scope: HistoryScope) -> String {
        switch scope {
        case .room(let room): return "\(historyPrefix).room.\(Self.token(room))"
        case .conversation(let a, let b):
            let (x, y) = (NameRules.key(a), NameRules.key(b))
            let (first, second) = x <= y ? (x, y) : (y, x)
            return "\(historyPrefix).dm.\(Self.token(first)).\(Self.token(second))"
        }
    }

    /// The scope of a history subject, or nil when it is not one of this cluster's.
    public func scope(ofHistorySubject subject: String) -> HistoryScope? {
        guard subject.hasPrefix(historyPrefix + ".") else { return nil }
        let tokens = subject.dropFirst(historyPrefix.count + 1).split(separator: ".", omittingEmptySubsequences: false)
        switch (tokens.first, tokens.count) {
        case ("room", 2): return Self.name(fromToken: tokens[1]).map { .room($0) }
        case ("dm", 3):
            guard let a = Self.name(fromToken: tokens[1]), let b = Self.name(fromToken: tokens[2]) else { return nil }
            return .conversation(a, b)
        default: return nil
        }
    }

    /// A name as a subject token: lower-case hex of the UTF-8 bytes of its name key ("-" for an empty name).
    public static func token(_ name: String) -> String {
        let key = NameRules.key(name)
        guard !key.isEmpty else { return "-" }
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(key.utf8.count * 2)
        for byte in key.utf8 {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 15)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name key a token stands for, or nil when it is not one `token(_:)` makes.
    public static func name<S: StringProtocol>(fromToken token: S) -> String? {
        if token == "-" { return "" }
        let hex = Array(token.utf8)
        guard !hex.isEmpty, hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        for index in stride(from: 0, to: hex.count, by: 2) {
            guard let high = nibble(hex[index]), let low = nibble(hex[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: return byte - 48
        case 97...102: return byte - 87
        default: return nil
        }
    }
}
