// ChatCountersTests: the core's metrics counters (tlschatd --metrics-listen)
// move exactly once per command, message and delivery: by verb and result
// (ok or the ERR code, unparsed lines and rate-limit refusals included),
// room and private messages with and without history, and input held behind
// a commit counted when it runs, not twice.
import ChatCore
import Testing

@Suite("ChatCounters")
struct ChatCountersTests {
    @Test("commands are counted by verb and result, unparsed lines and refusals under 'unparsed'")
    func commandsByVerbAndResult() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        alice.send("JOIN #dev")
        alice.send("join #dev")
        alice.send("JOIN nohash")
        alice.send("FROB")
        alice.send("PART #nowhere")
        core.refuseRateLimited(alice.session)
        let counters = core.counters
        #expect(counters.commandCount(verb: "JOIN", result: "ok") == 2)
        #expect(counters.commandCount(verb: "JOIN", result: "BAD_ARGUMENTS") == 1)
        #expect(counters.commandCount(verb: "unparsed", result: "UNKNOWN_COMMAND") == 1)
        #expect(counters.commandCount(verb: "PART", result: "NOT_IN_ROOM") == 1)
        #expect(counters.commandCount(verb: "unparsed", result: "RATE_LIMITED") == 1)
        #expect(counters.commands.reduce(0, +) == 6, "each command counted once")
    }

    @Test("a line fed one byte short of a command counts nothing; the whole line counts once")
    func partialLinesDoNotCount() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        var framer = LineFramer(maximumLineLength: 4096)
        for byte in Array("WHOAMI\n".utf8) {
            for event in [byte].withUnsafeBytes({ framer.feed($0) }) {
                if case .line(let line) = event { core.receive(line: line, from: alice.session) }
            }
            if byte != 0x0A { #expect(core.counters.commands.reduce(0, +) == 0) }
        }
        #expect(core.counters.commandCount(verb: "WHOAMI", result: "ok") == 1)
    }

    @Test("room and private messages count once each; deliveries count every recipient reached")
    func messagesAndDeliveries() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob"), carol = Client(core)
        alice.send("SAY hello")  // bob and carol get it
        bob.send("MSG alice hi")  // alice gets it
        carol.link.accepting = false
        alice.send("SAY again")  // only bob: carol's queue is full
        alice.send("MSG nobody x")  // no such user: not a message
        #expect(core.counters.roomMessages == 2)
        #expect(core.counters.privateMessages == 1)
        #expect(core.counters.deliveries == 4)
    }

    @Test("with history: messages and deliveries count at the commit, held input once when it runs")
    func historyCountsAtCommit() throws {
        let fixture = try HistoryFixture()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("SAY one")
        alice.send("WHOAMI")  // held behind the staged message
        #expect(fixture.core.counters.roomMessages == 0, "nothing delivered before the commit")
        #expect(fixture.core.counters.commandCount(verb: "WHOAMI", result: "ok") == 0, "held, not yet run")
        fixture.commit()
        bob.send("MSG alice psst")
        fixture.commit()
        let counters = fixture.core.counters
        #expect(counters.roomMessages == 1 && counters.privateMessages == 1 && counters.deliveries == 2)
        #expect(counters.commandCount(verb: "SAY", result: "ok") == 1)
        #expect(counters.commandCount(verb: "WHOAMI", result: "ok") == 1)
        #expect(counters.commandCount(verb: "MSG", result: "ok") == 1)
    }
}
