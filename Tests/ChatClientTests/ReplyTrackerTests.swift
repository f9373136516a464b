// ReplyTrackerTests: replies pair with commands strictly in order, events never
// pop a command, and a reply with nothing waiting is flagged; plus the parsing
// of every server line shape (ServerLine).
import ChatClient
import Testing

@Suite("Reply tracking and server lines")
struct ReplyTrackerTests {
    @Test("pipelined commands: each reply pops the oldest command, events in between pop nothing")
    func pipeliningWithEventsBetweenReplies() {
        var tracker = ReplyTracker()
        tracker.sent("JOIN #dev")
        tracker.sent("SAY hello")
        tracker.sent("WHO")
        #expect(tracker.pendingCount == 3)
        #expect(tracker.receive("JOINED #dev bob cert") == .event(.joined(room: "#dev", name: "bob", trust: "cert")))
        #expect(tracker.receive("OK JOIN #dev 2") == .reply(.ok(verb: "JOIN", details: "#dev 2"), to: SentCommand(line: "JOIN #dev")))
        #expect(tracker.receive("MSG #dev bob cert OK this is not a reply")
                == .event(.message(room: "#dev", from: "bob", trust: "cert", text: "OK this is not a reply")))
        #expect(tracker.pendingCount == 2)
        #expect(tracker.receive("ERR NO_CURRENT_ROOM join one") == .reply(.error(code: "NO_CURRENT_ROOM", text: "join one"),
                                                                           to: SentCommand(line: "SAY hello")))
        #expect(tracker.oldestPending == SentCommand(line: "WHO"))
        #expect(tracker.receive("OK WHO #dev 2 alice:cert bob:cert")
                == .reply(.ok(verb: "WHO", details: "#dev 2 alice:cert bob:cert"), to: SentCommand(line: "WHO")))
        #expect(tracker.pendingCount == 0)
    }

    @Test("a reply with no command waiting is flagged, not paired with a later command")
    func unexpectedReply() {
        var tracker = ReplyTracker()
        #expect(tracker.receive("OK PING") == .unexpectedReply(.ok(verb: "PING", details: "")))
        tracker.sent("PING 1")
        #expect(tracker.receive("OK PING 1") == .reply(.ok(verb: "PING", details: "1"), to: SentCommand(line: "PING 1")))
    }

    @Test("thousands of pipelined commands stay in order across queue compaction")
    func longPipeline() {
        var tracker = ReplyTracker()
        for index in 0..<1000 { tracker.sent("PING \(index)") }
        for index in 0..<1000 {
            if index % 7 == 0 { _ = tracker.receive("NOTICE test between replies") }
            guard case .reply(_, let command) = tracker.receive("OK PING \(index)") else { Issue.record("no reply"); return }
            #expect(command.line == "PING \(index)")
        }
        #expect(tracker.pendingCount == 0)
    }

    @Test("the first word alone decides reply or event; verbs and arguments of sent commands")
    func classification() {
        #expect(ServerLine.isReply("OK BYE"))
        #expect(ServerLine.isReply("ERR X y"))
        #expect(!ServerLine.isReply("OKAY"))
        #expect(!ServerLine.isReply("NOTICE OK"))
        #expect(SentCommand(line: "say hi there").verb == "SAY")
        #expect(SentCommand(line: "say hi there").arguments == "hi there")
        #expect(SentCommand(line: "WHOAMI").arguments == "")
    }

    @Test("every event shape parses; message text keeps its spaces; malformed lines stay whole")
    func eventParsing() {
        #expect(ServerLine(parsing: "HELLO chat/1 tlschatd tls alice cert #lobby")
                == .event(.hello(protocolVersion: "chat/1", server: "tlschatd", transport: "tls", name: "alice", trust: "cert", room: "#lobby")))
        #expect(ServerLine(parsing: "HELLO chat/1 tlschatd tls alice cert #lobby lang=en future=field")
                == .event(.hello(protocolVersion: "chat/1", server: "tlschatd", transport: "tls", name: "alice", trust: "cert", room: "#lobby")))
        #expect(ServerLine(parsing: "PING idle-9") == .event(.ping(token: "idle-9")))
        #expect(ServerLine(parsing: "MSG #dev bob cert  two  spaces ")
                == .event(.message(room: "#dev", from: "bob", trust: "cert", text: " two  spaces ")))
        #expect(ServerLine(parsing: "PRIV ~g1 tls psst") == .event(.privateMessage(from: "~g1", trust: "tls", text: "psst")))
        #expect(ServerLine(parsing: "PARTED #dev bob cert quit") == .event(.parted(room: "#dev", name: "bob", trust: "cert", reason: "quit")))
        #expect(ServerLine(parsing: "RENAMED ~a ~b plain") == .event(.renamed(old: "~a", new: "~b", trust: "plain")))
        #expect(ServerLine(parsing: "NOTICE shutdown server is shutting down") == .event(.notice(topic: "shutdown", text: "server is shutting down")))
        #expect(ServerLine(parsing: "MSG #dev bob") == .event(.other("MSG #dev bob")))
        #expect(ServerLine(parsing: "JOINED #dev bob cert extra") == .event(.other("JOINED #dev bob cert extra")))
        #expect(ServerLine(parsing: "FUTURE thing") == .event(.other("FUTURE thing")))
        #expect(ServerLine(parsing: "OK") == .reply(.ok(verb: "", details: "")))
        #expect(ServerLine(parsing: "ERR CODE some text") == .reply(.error(code: "CODE", text: "some text")))
    }
}
