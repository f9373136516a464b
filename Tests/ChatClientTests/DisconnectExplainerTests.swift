// DisconnectExplainerTests: TLS alerts and verification failures become plain
// words that say what to do, while the original OpenSSL text is kept.
import ChatClient
import Testing

@Suite("Disconnect explanations")
struct DisconnectExplainerTests {
    @Test("TLS alerts from the server are explained", arguments: [
        ("read: tlsv13 alert certificate required (SSL alert number 116)", "requires a client certificate (use --cert"),
        ("read: sslv3 alert bad certificate (SSL alert number 42)", "rejected your client certificate"),
        ("read: tlsv1 alert unknown ca (SSL alert number 48)", "not signed by a CA the server trusts"),
        ("read: sslv3 alert certificate expired (SSL alert number 45)", "rejected your client certificate (it has expired"),
        ("read: sslv3 alert unsupported certificate (SSL alert number 43)", "not meant for client use"),
        ("handshake: tlsv1 alert protocol version", "share no TLS version"),
        ("handshake: wrong version number", "did not answer with TLS"),
    ])
    func alerts(_ text: String, _ expected: String) {
        let explanation = DisconnectExplainer.explain(.tlsFailure(text))
        #expect(explanation.contains(expected), "\(explanation)")
        #expect(explanation.contains(text), "the OpenSSL detail is kept")
    }

    @Test("server certificate verification failures say which check failed", arguments: [
        ("hostname mismatch", "not valid for the host name"),
        ("IP address mismatch", "not valid for the IP address"),
        ("unable to get local issuer certificate", "not signed by a CA you trust"),
        ("self-signed certificate in certificate chain", "leads to a CA you do not trust"),
        ("self-signed certificate", "self-signed"),
        ("certificate has expired", "has expired"),
        ("unsupported certificate purpose", "no serverAuth"),
        ("something new", "failed verification (something new)"),
    ])
    func verification(_ reason: String, _ expected: String) {
        let text = "handshake: certificate verify failed (certificate verification: \(reason))"
        let explanation = DisconnectExplainer.explain(.handshakeFailed(text))
        #expect(explanation.contains(expected), "\(explanation)")
        #expect(explanation.contains("detail: \(text)"))
    }

    @Test("plain disconnects are told apart")
    func plainCauses() {
        #expect(DisconnectExplainer.explain(.serverClosed) == "the server closed the connection")
        #expect(DisconnectExplainer.explain(.reset).contains("reset"))
        #expect(DisconnectExplainer.explain(.closedWithoutNotify).contains("abruptly"))
        #expect(DisconnectExplainer.explain(.connectFailed("127.0.0.1:1: errno 111: Connection refused")).contains("Connection refused"))
        #expect(DisconnectExplainer.explain(.handshakeFailed("handshake: peer closed the connection")).contains("during the TLS handshake"))
    }

    @Test("a wrong host names the names the certificate covers and the one expected")
    func wrongHostNamesTheCertificateNames() {
        let text = "handshake: certificate verify failed (certificate verification: hostname mismatch) "
            + "[certificate names: DNS:localhost, IP:127.0.0.1, IP:::1; expected: example.test]"
        let explanation = DisconnectExplainer.explain(.handshakeFailed(text))
        #expect(explanation.contains("the server's certificate is for localhost, 127.0.0.1, ::1, not example.test (hostname mismatch)"),
                "\(explanation)")
        #expect(explanation.contains("--server-name"))
        let ip = "handshake: certificate verify failed (certificate verification: IP address mismatch) "
            + "[certificate names: DNS:wrong.example; expected: 127.0.0.1]"
        #expect(DisconnectExplainer.explain(.handshakeFailed(ip)).contains("is for wrong.example, not 127.0.0.1 (IP address mismatch)"))
        let hostile = "handshake: x (certificate verification: hostname mismatch) [certificate names: DNS:a\u{1B}[2J; expected: b]"
        #expect(!DisconnectExplainer.explain(.handshakeFailed(hostile)).contains("\u{1B}"), "a certificate cannot drive the terminal")
    }

    @Test("TLS to a plaintext chat/1 port, and --plain to a TLS port, name the transport the port speaks")
    func wrongTransport() {
        let greeting = "handshake: wrong version number; server sent non-TLS bytes first: \"HELLO chat/1 tls\""
        let explanation = DisconnectExplainer.explain(.handshakeFailed(greeting))
        #expect(explanation.hasPrefix("this port speaks plaintext chat/1 (it answered unencrypted)"), "\(explanation)")
        #expect(!ReconnectPolicy.shouldRetry(after: .handshakeFailed(greeting), lastNotice: nil))
        let other = DisconnectExplainer.explain(.handshakeFailed("handshake: wrong version number; server sent non-TLS bytes first: \"SSH-2.0-OpenSSH\""))
        #expect(other.contains("not TLS (it began \"SSH-2.0-OpenSSH\")"), "\(other)")
        #expect(DisconnectExplainer.explain(.serverSpeaksTLS("the server answered plaintext with a TLS record"))
                    .hasPrefix("this port speaks TLS; drop --plain"))
    }
}
