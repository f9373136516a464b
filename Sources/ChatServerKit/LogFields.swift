// LogFields: how the server writes values into its `key=value` log lines.
// Text that a client or a certificate authority controls (a certificate
// subject, above all) is quoted and escaped, so it can never forge a field
// of its own or a second line, and it is cut to a bounded length. It also
// names why a connection ended, as one word. It does not decide what is
// logged; ChatServer does, and it never logs message contents.
import ChatCore
import ChatNet

enum LogFields {
    /// At most this many characters of an untrusted value are logged.
    static let maximumQuotedLength = 256

    /// `text` in double quotes: backslash and quote escaped with a backslash,
    /// control characters (and U+2028/2029, bidi controls) as \u{XX}; cut at
    /// `maximumQuotedLength` characters with "..." after the closing quote.
    static func quoted(_ text: String) -> String {
        var result = "\""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == maximumQuotedLength { return result + "\"..." }
            count += 1
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            default:
                if needsEscape(scalar) {
                    result += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
            || (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value)
    }

    /// A certificate as the log shows it: quoted subject and fingerprint.
    static func certificate(_ identity: PeerIdentity?) -> String {
        guard let identity else { return "none" }
        return "\(quoted(identity.subject)) sha256:\(identity.fingerprintSHA256.filter { $0 != ":" })"
    }

    /// Why a connection ended, as one word: the core's reason when it closed the
    /// session, else what the transport saw.
    static func disconnectReason(ended: SessionEndReason?, closed: CloseReason) -> String {
        if let ended {
            // A session the core closed may still fail to flush: say so beside the reason.
            switch closed {
            case .outputLimitExceeded, .closeTimeout: return "\(ended.rawValue)+slow-reader"
            default: return ended.rawValue
            }
        }
        switch closed {
        case .localClose: return "closed-by-server"
        case .peerClosed: return "peer-closed"
        case .eofWithoutCloseNotify: return "peer-closed-without-close-notify"
        case .reset: return "peer-reset"
        case .handshakeTimeout: return "handshake-timeout"
        case .handshakeFailed: return "handshake-failed"
        case .tlsFailure: return "tls-error"
        case .connectFailed, .socketError: return "socket-error"
        case .closeTimeout, .outputLimitExceeded: return "slow-reader"
        }
    }
}
