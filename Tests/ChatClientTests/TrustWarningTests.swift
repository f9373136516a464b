// TrustWarningTests: what tlschat tells its user about trust problems that are
// not ordinary errors: a `NOTICE expiry` (the client certificate expires soon)
// is shown as a WARNING, highlighted with the bell, also when it comes right
// after the greeting, before the CAP reply; other notices stay plain; a server
// key that matches no --pin is explained as such, with both pins in the detail.
import ChatClient
import Testing

@Suite("Trust warnings")
struct TrustWarningTests {
    static let expiry = "NOTICE expiry your certificate expires 2026-12-11 05:46 UTC (in 5 days); ask for a new one before then"

    @Test("NOTICE expiry right after HELLO: shown as a WARNING, highlighted, with the bell")
    func expiryNoticeAfterGreeting() {
        var session = InteractiveSession(columns: 80)
        _ = session.tick(now: 1_000_000_000)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let shown = outputText(session.received(Self.expiry, time: testTime))
        #expect(shown.contains(TerminalRenderer.highlight + "[09:08:07] WARNING [expiry]: your certificate expires 2026-12-11 05:46 UTC (in 5 days)"),
                "\(shown.debugDescription)")
        #expect(shown.contains(TerminalRenderer.bell))
    }

    @Test("other notices are shown plainly, without the bell")
    func ordinaryNotice() {
        var session = greetedSession()
        let shown = outputText(session.received("NOTICE identity certificate name not usable as a chat name", time: testTime))
        #expect(shown.contains("notice [identity]: certificate name not usable as a chat name"))
        #expect(!shown.contains(TerminalRenderer.highlight) && !shown.contains(TerminalRenderer.bell))
    }

    @Test("a server key that matches no --pin: said in words, the expected and received pins in the detail")
    func pinMismatchExplained() {
        let detail = "handshake: certificate verify failed; server public key pin mismatch: expected sha256:AAAA=, received sha256:BBBB= (certificate verification: application verification failure)"
        let text = DisconnectExplainer.explain(.handshakeFailed(detail))
        #expect(text.hasPrefix("the server's public key matches none of your --pin values"), "\(text)")
        #expect(text.contains("expected sha256:AAAA=, received sha256:BBBB="))
    }
}
