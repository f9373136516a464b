// StartTLSNegotiationTests: tlschat --starttls before the handshake, fed one
// line at a time: STARTTLS only after a plaintext chat/1 greeting, upgrade only
// on exactly `OK STARTTLS`, and every other answer a failure with a reason
// (never a plaintext session).
import ChatClient
import Testing

@Suite("STARTTLS negotiation (client)")
struct StartTLSNegotiationTests {
    @Test("greeting, then STARTTLS; events before the reply are ignored; OK STARTTLS upgrades")
    func happyPath() {
        var negotiation = StartTLSNegotiation()
        #expect(negotiation.received(line: "HELLO chat/1 tlschatd plain ~guest1 plain #lobby") == .send("STARTTLS"))
        #expect(negotiation.received(line: "JOINED #lobby ~guest2 plain") == .wait)
        #expect(negotiation.received(line: "OK STARTTLS") == .upgrade)
        #expect(negotiation.received(line: "OK STARTTLS") == .wait, "decided once")
    }

    @Test("a refusal, an unknown verb, another OK or a non-chat/1 greeting fail with a reason")
    func failures() {
        func outcome(_ lines: [String]) -> StartTLSNegotiation.Step {
            var negotiation = StartTLSNegotiation()
            var last = StartTLSNegotiation.Step.wait
            for line in lines { last = negotiation.received(line: line) }
            return last
        }
        let hello = "HELLO chat/1 tlschatd plain ~guest1 plain -"
        guard case .fail(let refused) = outcome([hello, "ERR NOT_ALLOWED no"]) else { Issue.record("ERR did not fail"); return }
        #expect(refused.contains("refused STARTTLS") && refused.contains("ERR NOT_ALLOWED no"))
        guard case .fail(let unknown) = outcome([hello, "ERR UNKNOWN_COMMAND unknown command 'STARTTLS'; try HELP"]) else {
            Issue.record("UNKNOWN_COMMAND did not fail"); return
        }
        #expect(unknown.contains("does not support STARTTLS"))
        guard case .fail = outcome([hello, "OK PING"]) else { Issue.record("another OK did not fail"); return }
        guard case .fail(let tls) = outcome(["HELLO chat/1 tlschatd tls alice cert #lobby"]) else { Issue.record("tls greeting"); return }
        #expect(tls.contains("already speaks TLS"))
        guard case .fail(let other) = outcome(["SSH-2.0-OpenSSH_9.6\u{1B}[2J"]) else { Issue.record("non-chat greeting"); return }
        #expect(other.contains("expected a chat/1 plaintext greeting") && !other.contains("\u{1B}"))
    }
}
