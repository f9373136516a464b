// PacingTests: an interactive paste never meets the server's rate limit and
// never loses a line: commands leave under the rate the server advertised
// (checked against a model of the server's own token bucket), queued lines
// show in the prompt, large pastes ask first, and a message longer than the
// server's line limit is split (or, when it cannot be, refused and kept).
import ChatClient
import ChatCore
import Testing

@Suite("Interactive pacing, pastes and long lines")
struct PacingTests {
    /// Plays the server: answers every command OK after `latency` ns, with its own token
    /// bucket of `burst`/`perSecond`; records any command the bucket would have refused.
    struct ServerModel {
        var bucket: TokenBucket
        var refused: [String] = []
        var said: [String] = []
        init(burst: Int, perSecond: Double, now: UInt64) {
            bucket = TokenBucket(capacity: burst, refillPerSecond: perSecond, now: now)
        }
        mutating func receive(_ lines: [String], now: UInt64, session: inout InteractiveSession) -> [String] {
            var next: [String] = []
            for line in lines {
                if !bucket.take(now: now) { refused.append(line) }
                if line.hasPrefix("SAY ") { said.append(String(line.dropFirst(4))) }
                let verb = line.split(separator: " ").first.map(String.init) ?? ""
                let reply = verb == "SAY" ? "OK SAY #lobby sent 1/1" : verb == "WHO" ? "OK WHO #lobby 2 alice:cert bob:cert" : "OK \(verb)"
                next += sentLines(session.received(reply, time: testTime))
            }
            return next
        }
    }

    @Test("80 pasted lines: asked first, then all sent in order, never faster than the advertised rate; the prompt counts the queue")
    func pasteIsPacedAndComplete() {
        let start: UInt64 = 1_000_000_000
        var server = ServerModel(burst: 10, perSecond: 10, now: start)
        var session = InteractiveSession(columns: 80)
        _ = session.tick(now: start)
        #expect(sentLines(session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)) == ["CAP LS"])
        let tookToken = server.bucket.take(now: start)  // the server's bucket pays for CAP LS
        #expect(tookToken)
        var pending = sentLines(session.received("OK CAP LS rate=10/10 line=4096 sessions=1", time: testTime))
        let lines = (1...80).map { "line \($0)" }
        let pasted = paste(lines.joined(separator: "\n") + "\n", into: &session)
        #expect(sentLines(pasted).isEmpty)
        #expect(outputText(pasted).contains("you pasted 80 lines: y sends them all (paced to the server's rate), n discards them"))
        #expect(outputText(pasted).hasSuffix("paste 80 lines? (y/n) "))
        let yes = typeByHand("y", into: &session)
        #expect(outputText(yes).contains("sending 80 pasted lines, paced to 8 at once, then 9/s"))
        #expect(outputText(yes).contains("queued) alice@#lobby> "))
        pending += sentLines(yes)
        var now = start
        for _ in 0..<200 where !server.said.elementsEqual(lines) {  // 20 s of 100 ms ticks
            pending = server.receive(pending, now: now, session: &session)
            now += 100_000_000
            pending += sentLines(session.tick(now: now))
        }
        #expect(server.said == lines)
        #expect(server.refused.isEmpty, "over the server's rate: \(server.refused)")
        #expect(session.queuedCount == 0)
        #expect(now - start < 10_000_000_000, "paced near the advertised rate, not far below it")
    }

    @Test("lines typed one byte at a time are never taken for a paste")
    func typingIsNotAPaste() {
        var session = greetedSession()
        let actions = typeByHand((1...12).map { "typed \($0)\r" }.joined(), into: &session)
        #expect(sentLines(actions) == (1...12).map { "SAY typed \($0)" })
        #expect(!outputText(actions).contains("paste"))
    }

    @Test("a small paste is sent at once; more pasted lines arriving while asking join the question; n discards and says so")
    func pasteQuestion() {
        var session = greetedSession()
        #expect(sentLines(paste("a\nb\nc\n", into: &session)) == ["SAY a", "SAY b", "SAY c"])
        _ = paste((1...40).map { "x\($0)\n" }.joined(), into: &session)
        let more = paste((41...80).map { "x\($0)\n" }.joined(), into: &session)
        #expect(outputText(more).hasSuffix("paste 80 lines? (y/n) "))
        #expect(outputText(typeByHand("q", into: &session)).contains(TerminalRenderer.bell), "other keys ring and ask again")
        let no = typeByHand("n", into: &session)
        #expect(sentLines(no).isEmpty)
        #expect(outputText(no).contains("80 pasted lines discarded; none of them was sent"))
        #expect(outputText(no).hasSuffix("alice@#lobby> "))
    }

    @Test("Ctrl-C with lines queued discards them and says how many; the next Ctrl-C quits")
    func interruptDiscardsQueue() {
        var session = greetedSession(capabilities: "LS rate=5/1 line=4096")
        _ = paste("one\ntwo\nthree\nfour\n", into: &session)
        #expect(session.queuedCount == 3)
        let first = session.interrupted(time: testTime)
        #expect(outputText(first).contains("3 queued line(s) discarded, not sent"))
        #expect(session.queuedCount == 0)
        #expect(sentLines(session.interrupted(time: testTime)).isEmpty, "BYE waits for the pace too")
        #expect(sentLines(session.tick(now: 3_000_000_000)) == ["BYE"])
    }

    @Test("a server without CAP: its ERR is not shown and the conservative pace applies")
    func serverWithoutCapabilities() {
        var session = InteractiveSession(columns: 80)
        _ = session.received("HELLO chat/1 oldchat tls alice cert #lobby", time: testTime)
        let reply = session.received("ERR UNKNOWN_COMMAND unknown command 'CAP'; try HELP", time: testTime)
        #expect(!outputText(reply).contains("UNKNOWN_COMMAND"))
        #expect(sentLines(reply) == ["WHOAMI", "WHO"])
        #expect(session.capabilities == .protocolDefaults)
        let burst = sentLines(paste((1...40).map { "l\($0)\n" }.joined(), into: &session) + typeByHand("y", into: &session))
        #expect(burst.count == CommandPacer.fallbackPace.burst - 3, "CAP, WHOAMI and WHO used three of the burst")
    }

    @Test("a message longer than the advertised line limit is sent as several, each within it, and the user is told")
    func longMessageIsSplit() {
        var session = greetedSession(capabilities: "LS rate=40/20 line=64")
        let text = (1...30).map { "wörd\($0)" }.joined(separator: " ") + " 👩‍👩‍👧‍👦 e\u{301}nd"
        let actions = paste(text + "\r", into: &session)
        let parts = sentLines(actions)
        #expect(parts.count > 1)
        #expect(parts.allSatisfy { $0.hasPrefix("SAY ") && $0.utf8.count <= 64 }, "\(parts)")
        #expect(parts.map { String($0.dropFirst(4)) }.joined() == text, "nothing lost or changed")
        #expect(outputText(actions).contains("longer than the server's line limit (\(text.utf8.count + 4) of 64 bytes): sending it as \(parts.count) messages"))
    }

    @Test("a too-long command that cannot be split is refused, nothing sent, and the text stays in the input line")
    func unsplittableIsRefused() {
        var session = greetedSession(capabilities: "LS rate=40/20 line=64")
        let typed = "/join #" + String(repeating: "r", count: 70)
        let actions = typeByHand(typed + "\r", into: &session)
        #expect(sentLines(actions).isEmpty)
        #expect(outputText(actions).contains("the line is too long for the server (76 bytes; it accepts 64)"))
        #expect(session.editor.text == typed)
    }

    @Test("lines typed before CAP's reply wait for it and are split by the advertised limit")
    func waitsForTheLimit() {
        var session = InteractiveSession(columns: 80)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let early = typeByHand(String(repeating: "z", count: 100) + "\r", into: &session)
        #expect(sentLines(early).isEmpty)
        #expect(outputText(early).contains("(1 queued) alice@#lobby> "))
        let sent = sentLines(session.received("OK CAP LS rate=40/20 line=60", time: testTime))
        #expect(sent == ["SAY " + String(repeating: "z", count: 56), "SAY " + String(repeating: "z", count: 44), "WHOAMI", "WHO"])
    }

    @Test("lines still queued when the connection drops are sent after reconnecting, after the restore")
    func queuedLinesSurviveReconnection() {
        var session = InteractiveSession(columns: 80, reconnect: ReconnectPolicy())
        _ = session.tick(now: 1_000_000_000)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        _ = session.received("OK CAP LS rate=5/1 line=4096", time: testTime)
        let sent = sentLines(paste("1\n2\n3\n4\n", into: &session))
        #expect(sent == ["SAY 1"], "CAP, WHOAMI and WHO took three of the four tokens")
        let lost = session.disconnected(.reset, time: testTime, jitter: 0)
        #expect(outputText(lost).contains("3 queued line(s) were not sent yet: they will be sent once reconnected"))
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let again = sentLines(session.received("OK CAP LS rate=40/20 line=4096", time: testTime))
        #expect(again == ["SAY 2", "SAY 3", "SAY 4", "WHOAMI", "WHO"])
    }

    @Test("a paste beyond the input's 64 KiB says that the rest was not inserted")
    func overfullInputIsReported() {
        var session = greetedSession()
        let actions = paste(String(repeating: "x", count: LineEditor.defaultMaximumBytes + 10), into: &session)
        #expect(outputText(actions).contains("the input line is full (65536 bytes): the rest of what you typed or pasted was not inserted"))
        #expect(session.editor.text.utf8.count == LineEditor.defaultMaximumBytes)
    }
}
