// EventFormatterTests: events and replies read well, trust markers are
// unmistakable, private messages stand out, hostile names cannot forge
// terminal output, and the prompt follows name and room.
import ChatClient
import Testing

@Suite("Event formatting and identity")
struct EventFormatterTests {
    let time = "12:01:02"

    func identity(_ lines: [String]) -> SessionIdentity {
        var identity = SessionIdentity()
        identity.apply(.hello(protocolVersion: "chat/1", server: "tlschatd", transport: "tls", name: "alice", trust: "cert", room: "#lobby"))
        for line in lines {
            if case .reply(let reply) = ServerLine(parsing: line) { identity.apply(reply) }
        }
        return identity
    }

    @Test("a space followed by a combining mark still separates fields, as on the server")
    func combiningMarkAfterSpace() {
        #expect(ServerLine(parsing: "MSG #lobby ~guest1 tls \u{301}hi")
                == .event(.message(room: "#lobby", from: "~guest1", trust: "tls", text: "\u{301}hi")))
        #expect(ServerLine(parsing: "PING \u{301}2") == .event(.ping(token: "\u{301}2")))
    }

    @Test("room messages, trust markers, private messages and actions", arguments: [
        ("MSG #lobby alice cert hi", "[12:01:02] #lobby <alice✔> hi"),
        ("MSG #lobby ~guest1 tls hi", "[12:01:02] #lobby <~guest1?> hi"),
        ("MSG #lobby ~guest2 plain hi", "[12:01:02] #lobby <~guest2!plain> hi"),
        ("MSG #dev bob cert /me waves", "[12:01:02] #dev * bob✔ waves"),
        ("PRIV bob cert psst", "[12:01:02] (private) <bob✔> psst"),
        ("JOINED #dev bob cert", "[12:01:02] #dev --> bob✔ joined"),
        ("PARTED #dev bob cert part", "[12:01:02] #dev <-- bob✔ left"),
        ("PARTED #dev bob cert quit", "[12:01:02] #dev <-- bob✔ disconnected"),
        ("RENAMED ~guest1 ~carol plain", "[12:01:02] ~guest1!plain is now ~carol!plain"),
        ("NOTICE shutdown server is shutting down", "[12:01:02] notice [shutdown]: server is shutting down"),
    ])
    func events(_ line: String, _ expected: String) {
        guard case .event(let event) = ServerLine(parsing: line) else { Issue.record("not an event"); return }
        #expect(EventFormatter.format(event, time: time) == [expected])
    }

    @Test("a hostile name or text cannot carry terminal escapes or bidi overrides")
    func hostileText() {
        let lines = EventFormatter.format(.message(room: "#lobby", from: "alice\u{202E}live", trust: "cert", text: "\u{1B}]0;pwned\u{07}x"), time: time)
        #expect(lines == ["[12:01:02] #lobby <alice\u{FFFD}live✔> \u{FFFD}]0;pwned\u{FFFD}x"])
    }

    @Test("replies: own messages echoed, N<M reported, lists rendered, errors shown with the command")
    func replies() {
        let me = identity([])
        func render(_ reply: String, _ command: String, _ identity: SessionIdentity? = nil) -> [String] {
            guard case .reply(let parsed) = ServerLine(parsing: reply) else { return [] }
            return EventFormatter.format(parsed, to: SentCommand(line: command), identity: identity ?? me, time: time)
        }
        #expect(render("OK SAY #lobby sent 2/2", "SAY hi all") == ["[12:01:02] #lobby <alice✔> hi all"])
        #expect(render("OK SAY #lobby sent 1/3", "SAY hi all") == [
            "[12:01:02] #lobby <alice✔> hi all",
            "[12:01:02] (only 1 of 3 recipients in #lobby got it: the others are not reading)"])
        #expect(render("OK MSG bob sent 1/1", "MSG bob psst") == ["[12:01:02] (private to bob) <alice✔> psst"])
        #expect(render("OK MSG #dev sent 1/1", "MSG #dev yo") == ["[12:01:02] #dev <alice✔> yo"])
        #expect(render("OK SAY #lobby sent 0/0", "SAY /me waves") == ["[12:01:02] #lobby * alice✔ waves"])
        #expect(render("OK WHO #dev 3 alice:cert bob:cert ~g:plain +2", "WHO") == ["[12:01:02] #dev (3): alice✔ bob✔ ~g!plain (2 more)"])
        #expect(render("OK ROOMS 2 #dev:2 #lobby:3", "ROOMS") == ["[12:01:02] rooms (2): #dev (2), #lobby (3)"])
        #expect(render("OK JOIN #dev 2", "JOIN #dev") == ["[12:01:02] now in #dev (2 members)"])
        #expect(render("OK PART #dev", "PART", identity(["OK JOIN #dev 1", "OK PART #dev"])) == ["[12:01:02] left #dev; current room: #lobby"])
        #expect(render("OK PING 42", "PING 42") == ["[12:01:02] pong 42"])
        #expect(render("ERR BAD_ARGUMENTS a room name is # and 1-32 characters", "JOIN lobby")
                == ["[12:01:02] error: BAD_ARGUMENTS a room name is # and 1-32 characters [JOIN lobby]"])
        #expect(render("OK WHOAMI alice cert tls sha256:ab #dev", "WHOAMI")
                == ["[12:01:02] you are alice✔ (trust cert, over tls, certificate sha256:ab), current room #dev"])
    }

    @Test("the prompt follows HELLO, NICK, JOIN, PART (most recent remaining room) and WHOAMI")
    func promptTracking() {
        #expect(SessionIdentity().prompt == "connecting> ")
        #expect(identity([]).prompt == "alice@#lobby> ")
        #expect(identity(["OK JOIN #dev 1"]).prompt == "alice@#dev> ")
        #expect(identity(["OK JOIN #dev 1", "OK JOIN #ops 1", "OK JOIN #dev 1", "OK PART #dev"]).prompt == "alice@#ops> ")
        #expect(identity(["OK JOIN #dev 1", "OK PART #lobby"]).prompt == "alice@#dev> ")
        #expect(identity(["OK PART #lobby"]).prompt == "alice@(no room)> ")
        #expect(identity(["OK NICK ~carol"]).prompt == "~carol@#lobby> ")
        #expect(identity(["OK WHOAMI zed tls tls - -"]).prompt == "zed@(no room)> ")
        #expect(identity(["ERR NAME_IN_USE taken"]).prompt == "alice@#lobby> ")
    }
}
