// ClientHistoryTests: the interactive client's side of durable history, fed
// one server line (and one typed byte) at a time: the silent CAP REQ and the
// greeting room's history when the server advertises history; stored live
// messages shown exactly like MSG/PRIV; past messages faded, marked, in local
// time and never ringing the bell; each id shown once; /history paging back
// from the oldest id shown; `unstored`; and the catch-up after a reconnection
// (AFTER the last id seen, following `more` from the reply's own last id,
// join-history hidden for those rooms, live duplicates dropped).
import ChatClient
import Testing

@Suite("History in the interactive client")
struct ClientHistoryTests {
    static let historyCapabilities = "LS rate=40/20 line=4096 sessions=1 history=500 join-history=20"

    /// Alice greeted in #lobby by a server that keeps history; its first silent commands answered.
    func historySession(reconnect: Bool = false, clock: LocalClock = .utc) -> (InteractiveSession, [String]) {
        var session = InteractiveSession(columns: 100, reconnect: reconnect ? ReconnectPolicy() : nil, clock: clock)
        _ = session.tick(now: 1_000_000_000)
        precondition(sentLines(session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)) == ["CAP LS"])
        let sent = sentLines(session.received("OK CAP \(Self.historyCapabilities)", time: testTime))
        return (session, sent)
    }

    func feed(_ lines: [String], to session: inout InteractiveSession) -> [ClientAction] {
        lines.flatMap { session.received($0, time: testTime) }
    }

    @Test("history=N in CAP LS: a silent CAP REQ history join-history first, then the greeting room's last 20, all replies hidden")
    func capabilityRequestAndLobbyHistory() {
        var (session, sent) = historySession()
        #expect(sent == ["CAP REQ history join-history", "HISTORY #lobby LIMIT 20", "WHOAMI", "WHO"])
        #expect(session.received("OK CAP REQ history join-history", time: testTime).isEmpty)
        let past = session.received("HIST 4 2026-12-06T02:58:01.123Z #lobby bob cert hello alice", time: testTime)
        let text = outputText(past)
        #expect(text.contains(TerminalRenderer.faint + "[2026-12-06 02:58] ·history· #lobby <bob✔> hello alice" + TerminalRenderer.normal), "\(text)")
        #expect(!text.contains(TerminalRenderer.bell) && !text.contains(TerminalRenderer.highlight), "history never rings or highlights")
        let end = outputText(feed(["OK HISTORY #lobby 1", "OK WHOAMI alice cert tls sha256:ab #lobby", "OK WHO #lobby 1 alice:cert"], to: &session))
        #expect(!end.contains("HISTORY") && !end.contains("no more"), "the silent request's reply is not shown: \(end)")

        var (plain, plainSent) = (InteractiveSession(columns: 80), [String]())
        _ = plain.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        plainSent = sentLines(plain.received("OK CAP LS rate=40/20 line=4096 sessions=1", time: testTime))
        #expect(plainSent == ["WHOAMI", "WHO"], "no history advertised: no CAP REQ, no HISTORY")
    }

    @Test("stored times are shown in local time: HH:MM today, with the date on other days; an odd stamp as it came")
    func localTimes() {
        let sameDay = LocalClock(utcOffset: { _ in 3_600 }, now: { 1_796_525_000 })  // 2026-12-06 (UTC+1)
        #expect(sameDay.show("2026-12-06T02:58:01.123Z") == "03:58")
        #expect(sameDay.show("2026-12-05T22:59:59.000Z") == "2026-12-05 23:59")
        #expect(sameDay.show("2026-12-05T23:00:00.000Z") == "00:00", "past local midnight is today")
        #expect(sameDay.show("yesterday") == "yesterday")
        #expect(LocalClock.utc.show("2000-02-29T12:00:00Z") == "2000-02-29 12:00")
        #expect(LocalClock.utc.show("2026-13-01T00:00:00.000Z") == "2026-13-01T00:00:00.000Z")
    }

    @Test("MSGID and PRIVID look exactly like MSG and PRIV, mention bell and highlight included")
    func storedLiveMessagesLookLive() {
        var (stored, _) = historySession()
        var (plain, _) = historySession()
        let pairs = [("MSGID 7 #lobby bob cert hi alice", "MSG #lobby bob cert hi alice"),
                     ("MSGID 8 #lobby bob cert just text", "MSG #lobby bob cert just text"),
                     ("PRIVID 9 bob cert psst", "PRIV bob cert psst")]
        for (withID, without) in pairs {
            let shown = outputText(stored.received(withID, time: testTime))
            #expect(shown == outputText(plain.received(without, time: testTime)), "\(withID)")
        }
        #expect(outputText(stored.received("MSGID 7 #lobby bob cert hi alice", time: testTime)).isEmpty, "an id is shown once")
    }

    @Test("/history pages back from the oldest id shown, with N, and for a private conversation; the end says so")
    func pagingRequests() {
        var (session, _) = historySession()
        _ = feed(["OK CAP REQ history join-history", "HIST 5 2026-12-06T02:58:01.123Z #lobby bob cert five",
                  "HIST 6 2026-12-06T02:58:02.123Z #lobby bob cert six", "OK HISTORY #lobby 2 more",
                  "OK WHOAMI alice cert tls sha256:ab #lobby", "OK WHO #lobby 1 alice:cert", "MSGID 9 #lobby bob cert live"], to: &session)
        #expect(sentLines(typeByHand("/history\r", into: &session)) == ["HISTORY #lobby BEFORE 5 LIMIT 20"])
        let page = feed(["HIST 2 2026-12-06T02:50:00.000Z #lobby bob cert two", "OK HISTORY #lobby 1"], to: &session)
        #expect(outputText(page).contains("·history· #lobby <bob✔> two") && outputText(page).contains("(no more history)"))
        #expect(sentLines(typeByHand("/history 3\r", into: &session)) == ["HISTORY #lobby BEFORE 2 LIMIT 3"])
        #expect(outputText(session.received("OK HISTORY #lobby 3 more", time: testTime)).contains("/history again shows older"))
        #expect(sentLines(typeByHand("/history bob 5\r", into: &session)) == ["HISTORY bob LIMIT 5"], "nothing of bob's yet")
        _ = session.received("ERR NOT_ALLOWED private history is kept only between certificate users", time: testTime)
        _ = session.received("PRIVID 12 bob cert psst", time: testTime)
        #expect(sentLines(typeByHand("/history Bob\r", into: &session)) == ["HISTORY Bob BEFORE 12 LIMIT 20"])
        let mine = feed(["HIST 11 2026-12-06T02:58:01.123Z bob alice cert my question", "OK HISTORY Bob 1"], to: &session)
        #expect(outputText(mine).contains("·history· (private to bob) <alice✔> my question"), "\(outputText(mine))")
        let wrong = typeByHand("/history a b\r", into: &session)
        #expect(sentLines(wrong).isEmpty && outputText(wrong).contains("usage: /history"))
    }

    @Test("own ids from OK SAY/MSG are remembered; `unstored` says the message is not in history")
    func ownIDsAndUnstored() {
        var (session, _) = historySession()
        _ = feed(["OK CAP REQ history join-history", "OK HISTORY #lobby 0", "OK WHOAMI alice cert tls sha256:ab #lobby", "OK WHO #lobby 1 alice:cert"],
                 to: &session)
        typeByHand("first\r", into: &session)
        let first = session.received("OK SAY #lobby sent 1/1 id=41", time: testTime)
        #expect(outputText(first).contains("#lobby <alice✔> first") && !outputText(first).contains("not stored"))
        #expect(sentLines(typeByHand("/history\r", into: &session)) == ["HISTORY #lobby BEFORE 41 LIMIT 20"])
        _ = session.received("OK HISTORY #lobby 0", time: testTime)
        typeByHand("second\r", into: &session)
        let second = outputText(session.received("OK SAY #lobby sent 1/1 unstored", time: testTime))
        #expect(second.contains("#lobby <alice✔> second") && second.contains("(not stored in history: the server could not write it)"))
    }

    @Test("after a reconnection: each room caught up AFTER its last id, join-history hidden, `more` followed from the reply's last id, live duplicates dropped")
    func catchUpAfterReconnect() {
        var (session, _) = historySession(reconnect: true)
        _ = feed(["OK CAP REQ history join-history", "HIST 3 2026-12-06T02:58:01.123Z #lobby bob cert old", "OK HISTORY #lobby 1",
                  "OK WHOAMI alice cert tls sha256:ab #lobby", "OK WHO #lobby 1 alice:cert"], to: &session)
        #expect(sentLines(typeByHand("/join #dev\r", into: &session)) == ["JOIN #dev"])
        _ = feed(["OK JOIN #dev 1", "OK WHO #dev 1 alice:cert", "MSGID 10 #dev bob cert before the drop"], to: &session)
        typeByHand("mine\r", into: &session)
        _ = session.received("OK SAY #dev sent 1/1 id=11", time: testTime)

        _ = session.disconnected(.serverClosed, time: testTime, jitter: 0)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let sent = sentLines(session.received("OK CAP \(Self.historyCapabilities)", time: testTime))
        #expect(sent == ["CAP REQ history join-history", "JOIN #dev", "HISTORY #lobby AFTER 3 LIMIT 500",
                         "HISTORY #dev AFTER 11 LIMIT 500", "WHOAMI", "WHO"])
        let catchUp = feed(["OK CAP REQ history join-history",
                            "HIST 10 2026-12-06T02:58:01.123Z #dev bob cert before the drop",  // join-history: hidden
                            "HIST 12 2026-12-06T02:59:00.000Z #dev bob cert missed one",
                            "OK JOIN #dev 2", "OK HISTORY #lobby 0",
                            "MSGID 14 #dev bob cert live after the rejoin",
                            "HIST 12 2026-12-06T02:59:00.000Z #dev bob cert missed one",
                            "HIST 13 2026-12-06T02:59:01.000Z #dev bob cert missed two",
                            "OK HISTORY #dev 2 more"], to: &session)
        var shown = outputText(catchUp)
        #expect(!shown.contains("before the drop") && !shown.contains("·history·"), "join-history of a caught-up room is hidden: \(shown)")
        #expect(shown.contains("·missed· #dev <bob✔> missed one") && shown.contains("·missed· #dev <bob✔> missed two"))
        #expect(shown.components(separatedBy: "missed one").count == 2, "once: \(shown)")
        #expect(shown.contains("#dev <bob✔> live after the rejoin") && !shown.contains("caught up"))
        #expect(sentLines(catchUp) == ["WHO #dev", "HISTORY #dev AFTER 13 LIMIT 500"], "from the reply's last id, not the live one")
        shown = outputText(feed(["OK WHOAMI alice cert tls sha256:ab #dev", "OK WHO #lobby 1 alice:cert", "OK WHO #dev 2 alice:cert bob:cert",
                                 "HIST 14 2026-12-06T02:59:02.000Z #dev bob cert live after the rejoin",
                                 "HIST 15 2026-12-06T02:59:03.000Z #dev bob cert missed three", "OK HISTORY #dev 2"], to: &session))
        #expect(!shown.contains("live after the rejoin"), "shown live already: \(shown)")
        #expect(shown.contains("·missed· #dev <bob✔> missed three"))
        #expect(shown.contains("#dev: caught up: 3 messages missed while disconnected"), "\(shown)")

        _ = session.disconnected(.serverClosed, time: testTime, jitter: 0)  // again: from 15 now
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let again = sentLines(session.received("OK CAP \(Self.historyCapabilities)", time: testTime))
        #expect(again.contains("HISTORY #dev AFTER 15 LIMIT 500"), "\(again)")
        let quiet = outputText(feed(["OK CAP REQ history join-history", "OK JOIN #dev 2", "OK HISTORY #lobby 0", "OK HISTORY #dev 0"], to: &session))
        #expect(quiet.contains("caught up: no messages missed while disconnected"))
    }

    @Test("a room joined with join-history and no past messages is caught up from the start; a failed catch-up says so")
    func emptyRoomBaselineAndFailure() {
        var (session, _) = historySession(reconnect: true)
        _ = feed(["OK CAP REQ history join-history", "OK HISTORY #lobby 0", "OK WHOAMI alice cert tls sha256:ab #lobby",
                  "OK WHO #lobby 1 alice:cert"], to: &session)
        typeByHand("/join #new\r", into: &session)
        _ = session.received("OK JOIN #new 1", time: testTime)
        _ = session.disconnected(.serverClosed, time: testTime, jitter: 0)
        _ = session.received("HELLO chat/1 tlschatd tls alice cert #lobby", time: testTime)
        let sent = sentLines(session.received("OK CAP \(Self.historyCapabilities)", time: testTime))
        #expect(sent.contains("HISTORY #new AFTER 0 LIMIT 500") && sent.contains("HISTORY #lobby AFTER 0 LIMIT 500"), "\(sent)")
        let failed = outputText(feed(["OK CAP REQ history join-history", "ERR TOO_MANY_ROOMS no", "OK HISTORY #lobby 0",
                                      "ERR NOT_IN_ROOM join #new to read its history"], to: &session))
        #expect(failed.contains("#new: could not fetch the messages missed while disconnected: NOT_IN_ROOM"), "\(failed)")
    }

    @Test("server lines: MSGID, PRIVID and HIST parse with their ids; a bad id leaves the line unknown")
    func parsing() {
        #expect(ServerLine(parsing: "MSGID 42 #dev bob cert hi there") == .event(.storedMessage(id: 42, room: "#dev", from: "bob", trust: "cert", text: "hi there")))
        #expect(ServerLine(parsing: "PRIVID 7 bob cert psst") == .event(.storedPrivateMessage(id: 7, from: "bob", trust: "cert", text: "psst")))
        #expect(ServerLine(parsing: "HIST 41 2026-12-06T02:58:01.123Z #dev bob cert earlier message")
                == .event(.history(id: 41, time: "2026-12-06T02:58:01.123Z", target: "#dev", from: "bob", trust: "cert", text: "earlier message")))
        for bad in ["MSGID x #dev bob cert hi", "MSGID -1 #dev bob cert hi", "MSGID 0 #dev bob cert hi", "HIST 4 time #dev bob"] {
            #expect(ServerLine(parsing: bad) == .event(.other(bad)), "\(bad)")
        }
        let capabilities = ServerCapabilities(capabilityListDetails: Self.historyCapabilities)
        #expect(capabilities?.historyLimit == 500 && capabilities?.joinHistory == 20)
        #expect(ServerCapabilities(capabilityListDetails: "LS rate=40/20")?.historyLimit == nil)
    }

    @Test("/history in a script needs a room or name; with one it is a HISTORY line")
    func scriptTranslation() {
        #expect(InputTranslator.translate("/history #dev 5") == .send("HISTORY #dev LIMIT 5"))
        #expect(InputTranslator.translate("/history bob") == .send("HISTORY bob LIMIT 20"))
        if case .invalid(let text) = InputTranslator.translate("/history") { #expect(text.contains("needs a room or name")) } else { Issue.record("not refused") }
        for bad in ["/history 0", "/history 501", "/history a b", "/history a 5 6"] {
            if case .invalid(let text) = InputTranslator.translate(bad) { #expect(text.contains("usage: /history"), "\(bad)") } else { Issue.record("\(bad)") }
        }
        #expect(InputTranslator.historyRequest("/HISTORY 7")! == (nil, 7))
    }
}
