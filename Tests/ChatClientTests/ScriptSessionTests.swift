// ScriptSessionTests: the scripted mode's contract: lines wait for the
// greeting, are pipelined, every server line is echoed, BYE is added at the
// end once all replies are in, and the exit status tells OK / ERR / bad script
// / dropped connection apart.
import ChatClient
import Testing

@Suite("Scripted mode")
struct ScriptSessionTests {
    let hello = "HELLO chat/1 tlschatd tls alice cert #lobby"

    func sent(_ actions: [ClientAction]) -> [String] {
        actions.compactMap { if case .send(let line) = $0 { return line } else { return nil } }
    }

    @Test("sends are paced below the server's rate: a burst, then the steady rate as time passes")
    func pacing() {
        var session = ScriptSession(nickname: nil)
        _ = session.tick(now: 1_000_000_000)
        _ = session.received(hello)
        var sentLines: [String] = []
        for index in 0..<50 { sentLines += sent(session.scriptLine("/ping \(index)")) }
        #expect(sentLines.count == ScriptSession.pacingBurst)
        #expect(session.unsentCount == 50 - ScriptSession.pacingBurst)
        #expect(sent(session.tick(now: 1_000_000_000)).isEmpty)  // no time passed: no new tokens
        #expect(sent(session.tick(now: 2_000_000_000)).count == 15)  // one second: 15 more
        #expect(session.unsentCount == 5)
    }

    @Test("the server's idle PING is answered; the answer's OK does not count against the script")
    func answersServerPing() {
        var session = ScriptSession(nickname: nil)
        _ = session.received(hello)
        #expect(sent(session.received("PING idle-7")) == ["PING idle-7"])
        #expect(sent(session.inputEnded()).isEmpty)  // still waiting for the PING's reply
        #expect(sent(session.received("OK PING idle-7")) == ["BYE"])
        #expect(session.received("OK BYE").last == .exit(0))
    }

    @Test("lines before the greeting wait for it (NICK first); each waits behind NICK/JOIN's reply; BYE after the last reply")
    func happyPath() {
        let anonymousHello = "HELLO chat/1 tlschatd tls ~guest1 tls #lobby"
        var session = ScriptSession(nickname: "carol")
        #expect(session.scriptLine("/join #dev").isEmpty)
        #expect(session.scriptLine("hello").isEmpty)
        #expect(session.inputEnded().isEmpty)
        let greeted = session.received(anonymousHello)
        #expect(greeted.first == .output(anonymousHello + "\n"))
        #expect(sent(greeted) == ["NICK carol"])  // a barrier: JOIN waits for its reply
        #expect(sent(session.received("OK NICK ~carol")) == ["JOIN #dev"])
        #expect(session.received("JOINED #dev bob cert") == [.output("JOINED #dev bob cert\n")])
        #expect(sent(session.received("OK JOIN #dev 2")) == ["SAY hello"])
        #expect(sent(session.received("OK SAY #dev sent 1/1")) == ["BYE"])
        #expect(session.received("OK BYE") == [.output("OK BYE\n"), .exit(0)])
        #expect(session.isFinished)
    }

    @Test("all OK: exit 0; the script's own /quit is not doubled; lines after it are ignored")
    func scriptQuits() {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine("/ping 1")) == ["PING 1"])
        #expect(sent(session.scriptLine("/quit")) == ["BYE"])
        #expect(session.scriptLine("after quit").first.map { if case .diagnostic = $0 { true } else { false } } == true)
        #expect(session.scriptLine("more").isEmpty)
        #expect(session.inputEnded().isEmpty)
        _ = session.received("OK PING 1")
        #expect(session.received("OK BYE").last == .exit(0))
    }

    @Test("an unknown slash command stops the script with status 2 and sends nothing")
    func badScriptLine() {
        var session = ScriptSession()
        _ = session.received(hello)
        let actions = session.scriptLine("/frob")
        #expect(sent(actions).isEmpty)
        #expect(actions.last == .exit(2))
        #expect(session.scriptLine("hello").isEmpty)
    }

    @Test("the connection dropping before every reply came is a failure (status 3) that names what is missing")
    func droppedConnection() {
        var session = ScriptSession()
        _ = session.received(hello)
        _ = session.scriptLine("/who")
        let actions = session.disconnected(.reset)
        #expect(actions.last == .exit(3))
        #expect(actions.contains(.diagnostic("1 command(s) got no reply, first: WHO")))
        var never = ScriptSession()
        #expect(never.disconnected(.handshakeFailed("handshake: x")).contains(.diagnostic("no greeting from the server; nothing was sent")))
    }

    @Test("a CRLF script works; blank lines send nothing; an empty script just says BYE")
    func crlfAndBlank() {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine("hi\r")) == ["SAY hi"])
        #expect(session.scriptLine("   ").isEmpty)
        var empty = ScriptSession()
        #expect(empty.inputEnded().isEmpty)
        #expect(sent(empty.received(hello)) == ["BYE"])
    }
}
