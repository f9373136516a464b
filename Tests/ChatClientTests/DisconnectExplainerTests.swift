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
}
