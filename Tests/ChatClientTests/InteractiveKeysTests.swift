// InteractiveKeysTests: the keys and signals a person uses, fed one byte at a
// time: Ctrl-C clears a half-typed line (as a byte with ISIG off, or as
// SIGINT) and quits only on an empty line; Tab completes the current room's
// names and /commands and cycles; private messages and mentions ring the bell
// and are highlighted; a resize erases the old line as the terminal rewrapped it.
import ChatClient
import Testing

@Suite("Interactive keys: Ctrl-C, Tab, alerts, resize")
struct InteractiveKeysTests {
    @Test("Ctrl-C on a half-typed line clears it (it stays in the history); on an empty line it quits", arguments: [true, false])
    func interruptClearsLine(asByte: Bool) {
        var session = greetedSession()
        typeByHand("half typed", into: &session)
        let first = asByte ? typeByHand("\u{03}", into: &session) : session.interrupted(time: testTime)
        #expect(sentLines(first).isEmpty, "nothing sent, no BYE")
        #expect(!session.isFinished)
        #expect(session.editor.text.isEmpty)
        #expect(outputText(first).hasSuffix("\r\u{1B}[Kalice@#lobby> "))
        typeByHand("\u{1B}[A", into: &session)
        #expect(session.editor.text == "half typed", "Up brings the cleared line back")
        typeByHand("\u{15}", into: &session)  // Ctrl-U
        let second = asByte ? typeByHand("\u{03}", into: &session) : session.interrupted(time: testTime)
        #expect(sentLines(second) == ["BYE"])
    }

    @Test("Tab completes a member of the current room, cycles on repeated Tab, and completes /commands at the start")
    func tabCompletion() {
        var session = greetedSession()
        _ = session.received("JOINED #lobby bea tls", time: testTime)
        _ = session.received("JOINED #lobby ~bob2 tls", time: testTime)
        typeByHand("b\t", into: &session)
        #expect(session.editor.text == "bea: ")
        typeByHand("\t", into: &session)
        #expect(session.editor.text == "bob: ")
        typeByHand("\t", into: &session)
        #expect(session.editor.text == "~bob2: ")
        typeByHand("\t", into: &session)
        #expect(session.editor.text == "bea: ", "the cycle wraps around")
        typeByHand("hi B\t", into: &session)
        #expect(session.editor.text == "bea: hi bea ", "a new word starts a new completion, ignoring case")
        typeByHand("\u{15}/wh\t", into: &session)
        #expect(session.editor.text == "/who ")
        typeByHand("\t", into: &session)
        #expect(session.editor.text == "/whoami ")
        typeByHand("\u{15}al\t", into: &session)
        #expect(session.editor.text == "al", "our own name is not offered")
        _ = session.received("PARTED #lobby bea tls part", time: testTime)
        typeByHand("\u{15}be\t", into: &session)
        #expect(session.editor.text == "be", "someone who left is not offered")
    }

    @Test("a private message and a mention of our name ring the bell and are highlighted; other lines are not")
    func alerts() {
        var session = greetedSession()
        let mention = outputText(session.received("MSG #lobby bob cert hey Alice, look", time: testTime))
        #expect(mention.contains(TerminalRenderer.highlight + "[09:08:07] #lobby <bob✔> hey Alice, look" + TerminalRenderer.normal))
        #expect(mention.contains(TerminalRenderer.bell))
        let secret = outputText(session.received("PRIV bob cert psst", time: testTime))
        #expect(secret.contains(TerminalRenderer.highlight) && secret.contains(TerminalRenderer.bell))
        for quiet in ["MSG #lobby bob cert malice aforethought", "MSG #lobby bob cert hi all", "JOINED #lobby alice2 cert"] {
            let text = outputText(session.received(quiet, time: testTime))
            #expect(!text.contains(TerminalRenderer.bell) && !text.contains(TerminalRenderer.highlight), "\(quiet)")
        }
    }

    @Test("a resize narrower than the drawn line goes up the rows the terminal rewrapped it onto, erases, redraws")
    func resizeRedrawsCleanly() {
        var session = greetedSession(columns: 100)
        typeByHand(String(repeating: "x", count: 80), into: &session)  // prompt 14 + 80: cursor in column 94
        let narrower = outputText(session.resized(columns: 40))
        #expect(narrower.hasPrefix("\r\u{1B}[2A\u{1B}[J\r\u{1B}[Kalice@#lobby> "), "94 / 40: two rows above the cursor")
        let wider = outputText(session.resized(columns: 100))
        #expect(wider.hasPrefix("\r\u{1B}[J\r\u{1B}[K"), "the 39-column line fits: nothing to go up")
    }
}
