// InteractiveSessionTests: keystrokes become commands, the prompt follows the
// server, an incoming line never garbles the text being typed, local errors
// send nothing, and quitting sends BYE and exits on its OK.
import ChatClient
import Testing

@Suite("Interactive mode")
struct InteractiveSessionTests {
    let time = "09:08:07"

    func greeted() -> InteractiveSession {
        var session = InteractiveSession(columns: 80)
        let actions = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: time)
        precondition(sent(actions) == ["CAP LS"], "the session asks for the server's limits first")
        let limits = session.received("OK CAP LS rate=40/20 line=4096 sessions=1", time: time)
        precondition(sent(limits) == ["WHOAMI", "WHO"], "then confirms its identity and learns its room silently")
        let confirmed = session.received("OK WHOAMI alice cert tls sha256:ab #lobby", time: time)
        precondition(!output(confirmed).contains("WHOAMI") && !output(confirmed).contains("you are"))
        precondition(output(session.received("OK WHO #lobby 2 alice:cert bob:cert", time: time)).isEmpty)
        return session
    }

    func type(_ text: String, into session: inout InteractiveSession) -> [ClientAction] {
        Array(text.utf8).flatMap { session.typed([$0], time: time) }  // one byte at a time
    }

    func sent(_ actions: [ClientAction]) -> [String] {
        actions.compactMap { if case .send(let line) = $0 { return line } else { return nil } }
    }

    func output(_ actions: [ClientAction]) -> String {
        actions.compactMap { if case .output(let text) = $0 { return text } else { return nil } }.joined()
    }

    @Test("the server's idle PING is answered at once and silently; the typed text stays")
    func answersServerPing() {
        var session = greeted()
        _ = type("half", into: &session)
        let actions = session.received("PING idle-42", time: time)
        #expect(sent(actions) == ["PING idle-42"])
        #expect(output(actions).isEmpty)
        #expect(session.received("OK PING idle-42", time: time).isEmpty)
        #expect(session.editor.text == "half")
        #expect(output(session.received("MSG #lobby bob cert still here", time: time)).contains("still here"))
    }

    @Test("the prompt shows name and room once greeted")
    func prompt() {
        #expect(output(InteractiveSession(columns: 80).start()).hasSuffix("connecting> "))
        #expect(output(greeted().start()).hasSuffix("alice@#lobby> "))
    }

    @Test("an incoming message while typing: printed above, the typed text and cursor restored")
    func incomingWhileTyping() {
        var session = greeted()
        _ = type("hello wo", into: &session)
        _ = session.typed(Array("\u{1B}[D".utf8), time: time)
        let out = output(session.received("MSG #lobby bob cert hi there", time: time))
        #expect(out == "\r\u{1B}[K[09:08:07] #lobby <bob✔> hi there\r\n\r\u{1B}[Kalice@#lobby> hello wo\u{1B}[1D")
        #expect(session.editor.text == "hello wo")
    }

    @Test("Enter sends SAY; the echo appears on OK; JOIN moves the prompt; unknown commands send nothing")
    func commands() {
        var session = greeted()
        #expect(sent(type("hi there\r", into: &session)) == ["SAY hi there"])
        #expect(output(session.received("OK SAY #lobby sent 1/1", time: time)).contains("[09:08:07] #lobby <alice✔> hi there"))
        #expect(sent(type("/join #dev\r", into: &session)) == ["JOIN #dev"])
        #expect(output(session.received("OK JOIN #dev 1", time: time)).hasSuffix("alice@#dev> "))
        let unknown = type("/frob\r", into: &session)
        #expect(sent(unknown).isEmpty)
        #expect(output(unknown).contains("unknown command /frob"))
        #expect(output(type("/help\r", into: &session)).contains("/join #room"))
    }

    @Test("commands typed before the greeting are sent right after it, after --name's NICK")
    func beforeGreeting() {
        var session = InteractiveSession(columns: 80, nickname: "zed")
        #expect(sent(type("early\r", into: &session)).isEmpty)
        #expect(sent(session.received("HELLO chat/1 tlschatd tls ~guest1 tls #lobby", time: time)) == ["CAP LS"])
        #expect(sent(session.received("OK CAP LS rate=40/20 line=4096 sessions=1", time: time)) == ["NICK zed", "SAY early", "WHOAMI", "WHO"])
    }

    @Test("Ctrl-D on an empty line sends BYE; OK BYE exits 0; a second Ctrl-C exits at once")
    func quitting() {
        var session = greeted()
        #expect(sent(session.typed([0x04], time: time)) == ["BYE"])
        #expect(session.received("OK BYE", time: time).last == .exit(0))
        var impatient = greeted()
        #expect(sent(impatient.quit(time: time)) == ["BYE"])
        #expect(impatient.quit(time: time).last == .exit(0))
    }

    @Test("a dropped connection is explained and exits 3; after /quit it exits 0")
    func disconnect() {
        var session = greeted()
        let actions = session.disconnected(.tlsFailure("read: tlsv13 alert certificate required"), time: time)
        #expect(output(actions).contains("requires a client certificate"))
        #expect(actions.last == .exit(3))
        var quitting = greeted()
        _ = type("/quit\r", into: &quitting)
        #expect(quitting.disconnected(.serverClosed, time: time).last == .exit(0))
    }
}
