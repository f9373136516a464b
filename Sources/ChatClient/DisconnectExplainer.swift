// DisconnectExplainer: says in plain words why the connection ended or never
// started, including what a TLS alert or a certificate verification failure
// means and what to do about it.
//
// The table maps OpenSSL's texts (alert reasons such as "tlsv13 alert
// certificate required", verification results such as "hostname mismatch")
// to sentences for people; the original text is kept as the detail. A wrong
// host names the names the certificate covers; a key that matches no --pin
// is named as such (the detail shows the expected and received pins); a
// plaintext greeting where TLS was expected, or TLS where --plain was used,
// names the transport the port speaks. The executable turns ChatNet's close reason into a
// `DisconnectCause` (strings only, so this library stays free of ChatNet).
// Text that came from the peer (certificate names, bytes) is made safe for the
// terminal. It does not print. Pure.

/// Why a connection ended, as the transport reported it.
public enum DisconnectCause: Equatable, Sendable {
    /// The server ended the stream in order (TCP FIN, or TLS close_notify).
    case serverClosed
    /// TLS: the server closed TCP without close_notify.
    case closedWithoutNotify
    /// ECONNRESET / EPIPE.
    case reset
    /// The TLS handshake did not finish in time.
    case handshakeTimeout
    /// The TLS handshake failed; the TLS error text (with the verify reason, if any).
    case handshakeFailed(String)
    /// A TLS error after the handshake (e.g. an alert the server sent).
    case tlsFailure(String)
    /// TCP connect failed; the errno text.
    case connectFailed(String)
    /// Anything else, as text.
    case other(String)
    /// --plain, and the server turned out to speak TLS; how we know (see `PlaintextPortCheck`).
    case serverSpeaksTLS(String)
}

public enum DisconnectExplainer {
    /// OpenSSL alert reason texts (matched as substrings) and their meaning.
    public static let alertMeanings: [(openSSLText: String, meaning: String)] = [
        ("alert certificate required", "the server requires a client certificate (use --cert FILE --key FILE)"),
        ("alert bad certificate", "the server rejected your client certificate (bad certificate: not accepted by its CA or not valid for client use)"),
        ("alert unknown ca", "the server rejected your client certificate (it is not signed by a CA the server trusts)"),
        ("alert certificate expired", "the server rejected your client certificate (it has expired or is not yet valid)"),
        ("alert certificate revoked", "the server rejected your client certificate (it has been revoked)"),
        ("alert unsupported certificate", "the server rejected your client certificate (it is not meant for client use: wrong key usage or extended key usage)"),
        ("alert certificate unknown", "the server rejected your client certificate (certificate unknown: e.g. no clientAuth extended key usage)"),
        ("alert decrypt error", "the server could not verify your client certificate's signature (does --key belong to --cert?)"),
        ("alert access denied", "the server denied access"),
        ("alert protocol version", "the server and tlschat share no TLS version (tlschat speaks TLS 1.3 only)"),
        ("alert handshake failure", "the server and tlschat could not agree on TLS parameters (handshake failure)"),
        ("alert insufficient security", "the server wants stronger TLS parameters than tlschat offered"),
        ("unrecognized name", "the server does not serve the host name you used (unrecognized name)"),
        ("alert internal error", "the server had an internal TLS error"),
        ("wrong version number", "the server did not answer with TLS (a plaintext listener? then use --plain, knowing nothing is encrypted)"),
        ("packet length too long", "the server did not answer with TLS (a plaintext listener? then use --plain, knowing nothing is encrypted)"),
    ]

    /// Certificate verification results (X509_verify_cert_error_string texts) and their meaning.
    public static let verificationMeanings: [(openSSLText: String, meaning: String)] = [
        ("hostname mismatch", "the server's certificate is not valid for the host name you connected to (hostname mismatch)"),
        ("IP address mismatch", "the server's certificate is not valid for the IP address you connected to (IP address mismatch)"),
        ("unable to get local issuer certificate", "the server's certificate is not signed by a CA you trust (pass the right --ca FILE)"),
        ("unable to get issuer certificate", "the server's certificate is not signed by a CA you trust (pass the right --ca FILE)"),
        ("unable to verify the first certificate", "the server's certificate is not signed by a CA you trust (pass the right --ca FILE)"),
        ("self-signed certificate in certificate chain", "the server's certificate chain leads to a CA you do not trust (pass the right --ca FILE)"),
        ("self signed certificate in certificate chain", "the server's certificate chain leads to a CA you do not trust (pass the right --ca FILE)"),
        ("self-signed certificate", "the server's certificate is self-signed and not in your trusted CAs (pass the right --ca FILE)"),
        ("self signed certificate", "the server's certificate is self-signed and not in your trusted CAs (pass the right --ca FILE)"),
        ("certificate has expired", "the server's certificate has expired"),
        ("certificate is not yet valid", "the server's certificate is not valid yet (check the clocks)"),
        ("unsupported certificate purpose", "the server's certificate is not meant for a server (no serverAuth extended key usage)"),
        ("certificate signature failure", "the server's certificate has an invalid signature"),
    ]

    /// What ChatNet's TLS client adds when the server's first bytes were not TLS.
    static let nonTLSMarker = "server sent non-TLS bytes first: \""
    static let plaintextGreeting = "this port speaks plaintext chat/1 (it answered unencrypted); tlschat never falls back to plaintext: use --plain only if you accept that nothing is encrypted or verified"

    /// What ChatNet's TLS client adds when the server's public key matches no --pin.
    static let pinMismatchMarker = "server public key pin mismatch: "
    static let pinMismatch = "the server's public key matches none of your --pin values: this is another server, or its key was replaced; nothing was sent (pin a new key only once its operator confirms it: tlschat --print-pin, Scripts/gen-certs pin)"

    /// The plain-words meaning of an OpenSSL error text, if the table knows it.
    public static func meaning(ofTLSText text: String) -> String? {
        if let range = text.firstRange(of: nonTLSMarker) {
            let bytes = text[range.upperBound...].prefix { $0 != "\"" }
            if bytes.hasPrefix("HELLO") || bytes.hasPrefix("NOTIC") { return plaintextGreeting }  // a record header: 5 bytes
            return "the server answered with something that is not TLS (it began \"\(Sanitizer.forTerminal(String(bytes)))\"): is this the right port?"
        }
        if text.contains(pinMismatchMarker) { return pinMismatch }
        if let mismatch = nameMismatch(in: text) { return mismatch }
        let verifyMarker = "certificate verification: "
        if let range = text.firstRange(of: verifyMarker) {
            let reason = text[range.upperBound...]
            if let entry = verificationMeanings.first(where: { reason.contains($0.openSSLText) }) { return entry.meaning }
            return "the server's certificate failed verification (\(reason.dropLast(reason.hasSuffix(")") ? 1 : 0)))"
        }
        return alertMeanings.first(where: { text.contains($0.openSSLText) })?.meaning
    }

    /// "the server's certificate is for localhost, 127.0.0.1, ::1, not example.test", from the
    /// "[certificate names: DNS:a, IP:b; expected: c]" part of a ChatNet TLS error.
    static func nameMismatch(in text: String) -> String? {
        guard text.contains("hostname mismatch") || text.contains("IP address mismatch"),
              let start = text.ranges(of: "[certificate names: ").last,
              let middle = text[start.upperBound...].ranges(of: "; expected: ").last,
              text.hasSuffix("]") else { return nil }
        let names = text[start.upperBound..<middle.lowerBound].split(separator: ", ").map { name in
            name.hasPrefix("DNS:") ? name.dropFirst(4) : name.hasPrefix("IP:") ? name.dropFirst(3) : name
        }
        let expected = text[middle.upperBound...].dropLast()
        let covered = names == ["none"] || names.isEmpty ? "no host name or IP address at all" : names.joined(separator: ", ")
        let what = text.contains("hostname mismatch") ? "hostname mismatch" : "IP address mismatch"
        return Sanitizer.forTerminal("the server's certificate is for \(covered), not \(expected) (\(what)); connect with one of those names, or check it against one with --server-name NAME")
    }

    /// One or two lines for people: the meaning, then (for TLS) the original detail.
    public static func explain(_ cause: DisconnectCause) -> String {
        switch cause {
        case .serverClosed: return "the server closed the connection"
        case .closedWithoutNotify: return "the server closed the connection abruptly (TCP closed without a TLS close_notify)"
        case .reset: return "the connection was reset by the server"
        case .handshakeTimeout: return "the TLS handshake timed out (is the server speaking TLS on that port?)"
        case .connectFailed(let text): return "cannot connect: \(text)"
        case .other(let text): return "connection lost: \(text)"
        case .serverSpeaksTLS(let evidence): return "this port speaks TLS; drop --plain (\(evidence))"
        case .handshakeFailed(let text):
            if let meaning = meaning(ofTLSText: text) { return "\(meaning)\n  detail: \(Sanitizer.forTerminal(text))" }
            if text.contains("peer closed the connection") || text.contains("unexpected eof") {
                return "the server closed the connection during the TLS handshake without a word (a tlschatd plaintext listener hangs up on TLS like this, and so does a server at its connection limit)\n  detail: \(Sanitizer.forTerminal(text))"
            }
            return "the TLS handshake failed\n  detail: \(Sanitizer.forTerminal(text))"
        case .tlsFailure(let text):
            if let meaning = meaning(ofTLSText: text) { return "\(meaning)\n  detail: \(Sanitizer.forTerminal(text))" }
            return "TLS error\n  detail: \(Sanitizer.forTerminal(text))"
        }
    }
}
