// ScriptStopOnErrorTests: the scripted mode's `set -e` contract. The first
// ERR stops the script: nothing after it is sent (queued lines are dropped,
// later lines ignored), commands already in flight are answered before BYE,
// and stderr names the script line and the command. A command that changes
// what later lines mean (JOIN, PART, NICK, CAP REQ, unknown verbs) is a
// barrier: the next line waits for its reply, so a failed `/join` can never
// let `hello` reach the old room. `keepGoing` keeps the old behaviour. Lines
// are fed one at a time, as the driver does.
import ChatClient
import Testing

@Suite("Scripted mode stops at the first error")
struct ScriptStopOnErrorTests {
    let hello = "HELLO chat/1 tlschatd tls alice cert #lobby"
    let badRoom = "ERR BAD_ARGUMENTS a room name is # and 1-32 characters of A-Z a-z 0-9 . _ -"

    func sent(_ actions: [ClientAction]) -> [String] {
        actions.compactMap { if case .send(let line) = $0 { return line } else { return nil } }
    }

    func diagnostics(_ actions: [ClientAction]) -> [String] {
        actions.compactMap { if case .diagnostic(let text) = $0 { return text } else { return nil } }
    }

    @Test("a failed /join: the next line is never sent, BYE follows, status 1 names script line 1 and the command")
    func failedJoinNeverSaysInTheOldRoom() {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine("/join ops")) == ["JOIN ops"])
        #expect(sent(session.scriptLine("hello")).isEmpty, "held behind JOIN's reply")
        #expect(session.unsentCount == 1)
        #expect(sent(session.received(badRoom)) == ["BYE"])
        #expect(session.unsentCount == 0)
        #expect(sent(session.scriptLine("more")).isEmpty)
        #expect(sent(session.tick(now: 5_000_000_000)).isEmpty)
        #expect(sent(session.inputEnded()).isEmpty)
        let end = session.received("OK BYE")
        #expect(sent(end).isEmpty)
        #expect(diagnostics(end) == ["script line 1: JOIN ops: \(badRoom)",
                                     "stopped at the first error (--keep-going runs every line): nothing after script line 1 was sent"])
        #expect(end.last == .exit(1))
    }

    @Test("lines in flight when the ERR arrives are answered before BYE; queued ones are dropped; the summary names them")
    func inFlightLinesAreAnsweredQueuedOnesDropped() {
        var session = ScriptSession()
        _ = session.tick(now: 1_000_000_000)
        _ = session.received(hello)
        var out: [String] = []
        out += sent(session.scriptLine("/who #nope"))
        for index in 1...40 { out += sent(session.scriptLine("line \(index)")) }
        #expect(out.count == ScriptSession.pacingBurst, "the rest waits for the pacer")
        #expect(sent(session.received("ERR NO_SUCH_ROOM no room #nope")).isEmpty, "no token left for BYE yet")
        #expect(session.unsentCount == 1, "the 10 paced lines are dropped; only BYE waits")
        #expect(sent(session.tick(now: 2_000_000_000)) == ["BYE"], "BYE goes behind the 29 in flight")
        #expect(sent(session.tick(now: 3_000_000_000)).isEmpty)
        for index in 1...29 {
            #expect(sent(session.received("OK SAY #lobby sent 0/0")).isEmpty, "reply \(index)")
        }
        let end = session.received("OK BYE")
        #expect(diagnostics(end) == ["script line 1: WHO #nope: ERR NO_SUCH_ROOM no room #nope",
                                     "stopped at the first error (--keep-going runs every line): script lines 2-30 were already sent when the error arrived; nothing after script line 30 was sent"])
        #expect(end.last == .exit(1))
    }

    @Test("a second error among the lines in flight is counted, not a second stop")
    func laterErrorsAreCounted() {
        var session = ScriptSession()
        _ = session.received(hello)
        _ = session.scriptLine("/msg nobody hi")
        _ = session.scriptLine("/msg noone hi")
        #expect(sent(session.received("ERR NO_SUCH_USER no user nobody")) == ["BYE"])
        #expect(sent(session.received("ERR NO_SUCH_USER no user noone")).isEmpty)
        _ = session.inputEnded()
        let end = session.received("OK BYE")
        #expect(diagnostics(end) == ["script line 1: MSG nobody hi: ERR NO_SUCH_USER no user nobody",
                                     "1 later command(s) got ERR too (their replies are above)"])
        #expect(end.last == .exit(1))
    }

    @Test("barriers: the line after JOIN, PART, NICK, CAP REQ or an unknown verb waits for its reply",
          arguments: [("/join #dev", "OK JOIN #dev 1"), ("/part", "OK PART #lobby"), ("/nick carol", "OK NICK ~carol"),
                      ("/raw CAP REQ x", "OK CAP REQ x"), ("/raw FROB", "OK FROB")])
    func barrier(_ line: String, _ reply: String) {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine(line)).count == 1)
        #expect(sent(session.scriptLine("next")).isEmpty)
        #expect(sent(session.tick(now: 3_000_000_000)).isEmpty, "time does not lift a barrier")
        #expect(sent(session.received("JOINED #dev bob cert")).isEmpty, "an event does not either")
        #expect(sent(session.received(reply)) == ["SAY next"])
    }

    @Test("no barrier after commands that change nothing: they stay pipelined",
          arguments: ["hi", "/msg bob hi", "/who", "/rooms", "/whoami", "/ping", "/raw CAP LS", "/me waves"])
    func noBarrier(_ line: String) {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine(line)).count == 1)
        #expect(sent(session.scriptLine("next")) == ["SAY next"])
    }

    @Test("--name's NICK refused: the script stops before any of its lines is sent")
    func nameRefusedStopsBeforeTheScript() {
        var session = ScriptSession(nickname: "carol")
        _ = session.scriptLine("hello")
        #expect(sent(session.received(hello)) == ["NICK carol"])
        #expect(sent(session.received("ERR NOT_ALLOWED your name alice comes from your certificate")) == ["BYE"])
        let end = session.received("OK BYE")
        #expect(diagnostics(end) == ["--name: NICK carol: ERR NOT_ALLOWED your name alice comes from your certificate",
                                     "stopped at the first error (--keep-going runs every line): no script line was sent"])
        #expect(end.last == .exit(1))
    }

    @Test("the script's own /quit dropped by the stop: BYE is still sent once")
    func queuedQuitIsReplaced() {
        var session = ScriptSession()
        _ = session.received(hello)
        #expect(sent(session.scriptLine("/join ops")) == ["JOIN ops"])
        #expect(sent(session.scriptLine("/quit")).isEmpty)
        #expect(sent(session.received(badRoom)) == ["BYE"])
        #expect(session.received("OK BYE").last == .exit(1))
    }

    @Test("replies that never come after a stop: give up after the grace period, status 1")
    func stopWaitIsBounded() {
        var session = ScriptSession()
        _ = session.tick(now: 1_000_000_000)
        _ = session.received(hello)
        _ = session.scriptLine("/who #nope")
        _ = session.scriptLine("hi")
        #expect(sent(session.received("ERR NO_SUCH_ROOM no room #nope")) == ["BYE"])
        #expect(session.tick(now: 1_000_000_000 + ScriptSession.stopGraceNanoseconds - 1).isEmpty)
        let end = session.tick(now: 1_000_000_000 + ScriptSession.stopGraceNanoseconds)
        #expect(diagnostics(end).contains("gave up: 2 command(s) sent before the error got no reply within 10 s, first: SAY hi"), "\(end)")
        #expect(end.last == .exit(1))
        #expect(session.isFinished)
    }

    @Test("keepGoing: an ERR does not stop the script and nothing waits for JOIN; status 1 at the end")
    func keepGoing() {
        var session = ScriptSession(keepGoing: true)
        _ = session.received(hello)
        #expect(sent(session.scriptLine("/join ops")) == ["JOIN ops"])
        #expect(sent(session.scriptLine("hello")) == ["SAY hello"])
        #expect(sent(session.received(badRoom)).isEmpty)
        #expect(sent(session.scriptLine("more")) == ["SAY more"])
        _ = session.received("OK SAY #lobby sent 0/0")
        #expect(session.inputEnded().isEmpty)
        #expect(sent(session.received("OK SAY #lobby sent 0/0")) == ["BYE"])
        let end = session.received("OK BYE")
        #expect(diagnostics(end) == ["script line 1: JOIN ops: \(badRoom)"])
        #expect(end.last == .exit(1))
    }
}
