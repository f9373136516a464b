// TrustMarker: how tlschat shows a name's trust level next to the name.
//
// `cert` users (a CA-verified client certificate bound the name) get a check
// mark, anonymous TLS users a question mark, plaintext users "!plain", so a
// verified "alice" can never be confused with "~alice?" typed by a stranger.
// This file only decorates names; it does not validate them. Pure.

public enum TrustMarker {
    /// Suffix for `cert` trust.
    public static let certificate = "\u{2714}"
    /// Suffix for `tls` trust (encrypted but anonymous).
    public static let anonymous = "?"
    /// Suffix for `plain` trust (not encrypted).
    public static let plaintext = "!plain"

    /// The suffix for a trust word from the server; an unknown word is shown in parentheses.
    public static func suffix(for trust: String) -> String {
        switch trust {
        case "cert": return certificate
        case "tls": return anonymous
        case "plain": return plaintext
        default: return "(\(trust))"
        }
    }

    /// `name` (sanitized) followed by its trust marker, e.g. "alice✔".
    public static func decorate(_ name: String, trust: String) -> String {
        Sanitizer.forTerminal(name) + Sanitizer.forTerminal(suffix(for: trust))
    }
}
