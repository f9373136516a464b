// ChatServerCoreTests: the chat/1 rules without any network: greeting, one
// reply per command in order, names and trust (a certificate name cannot be
// taken or changed; anonymous names live under "~"), rooms, message fan-out
// counts, listing limits, bad text, BYE, and what a full recipient means.
import ChatCore
import Testing

/// Records what the core sends to one client.
final class FakeLink: ChatSessionLink {
    var lines: [String] = []
    var accepting = true
    var closed = false
    /// Whether a room's shared output (RoomGatheringTests' FakeBroadcast) may take this link.
    var canFollow = true
    /// What `outputRoom` reports (the server's queue limit minus what is queued).
    var room = Int.max
    var outputRoom: Int { room }
    func send(_ message: OutboundMessage) -> Bool {
        guard accepting, !closed else { return false }
        lines.append(contentsOf: message.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init))
        return true
    }
    func closeAfterFlush(_ reason: SessionEndReason) { closed = true }
    /// How often the core asked this link to switch to TLS (STARTTLS).
    var startTLSCalls = 0
    func startTLS() { startTLSCalls += 1 }
    /// Lines received since the last call.
    func take() -> [String] { defer { lines = [] }; return lines }
}

struct Client {
    let link = FakeLink()
    let session: ChatSession
    let core: ChatServerCore
    init(_ core: ChatServerCore, cert: String? = nil, transport: Transport = .tls, now: Int64? = nil) {
        self.core = core
        session = core.connect(link: link, credentials: ClientCredentials(
            transport: transport, certificateCommonName: cert, certificateFingerprint: cert.map { _ in "sha256:ab" }), now: now)
    }
    /// Sends one line; returns everything this client received because of it.
    @discardableResult
    func send(_ line: String) -> [String] {
        _ = link.take()
        core.receive(line: Array(line.utf8), from: session)
        return link.take()
    }
}

@Suite("ChatServerCore")
struct ChatServerCoreTests {
    @Test("the greeting names protocol, server, transport, name, trust and room")
    func greeting() {
        let core = ChatServerCore()
        #expect(Client(core, cert: "alice").link.lines.first == "HELLO chat/1 tlschatd tls alice cert #lobby")
        #expect(Client(core).link.lines.first == "HELLO chat/1 tlschatd tls ~guest1 tls #lobby")
        #expect(Client(core, transport: .plain).link.lines.first == "HELLO chat/1 tlschatd plain ~guest2 plain #lobby")
    }

    @Test("--lobby none: clients start in no room, nobody is announced on connect, rooms work as usual")
    func noLobby() {
        let core = ChatServerCore(lobby: nil)
        let alice = Client(core, cert: "alice")
        #expect(alice.link.take() == ["HELLO chat/1 tlschatd tls alice cert -"])
        let bob = Client(core, cert: "bob")
        #expect(alice.link.take().isEmpty, "no JOINED for a connect")
        #expect(bob.send("SAY hello").first?.hasPrefix("ERR ") == true)
        #expect(alice.send("JOIN #ops") == ["OK JOIN #ops 1"])
        #expect(bob.send("JOIN #ops") == ["OK JOIN #ops 2"])
        #expect(bob.send("SAY hi") == ["OK SAY #ops sent 1/1"])
        #expect(alice.link.take() == ["JOINED #ops bob cert", "MSG #ops bob cert hi"])
        #expect(alice.send("ROOMS") == ["OK ROOMS 1 #ops:2"])
    }

    @Test("a room's members come and go in any order; fan-out reaches exactly the members")
    func membershipChurn() {
        let core = ChatServerCore()
        let clients = (0..<6).map { Client(core, cert: "user\($0)") }
        for client in clients { _ = client.send("JOIN #churn") }
        for index in [0, 3, 5] { _ = clients[index].send("PART #churn") }
        _ = clients[0].send("JOIN #churn")
        for client in clients { _ = client.link.take() }
        #expect(clients[1].send("SAY ping") == ["OK SAY #churn sent 3/3"])
        let reached = clients.indices.filter { clients[$0].link.take().contains("MSG #churn user1 cert ping") }
        #expect(reached == [0, 2, 4])
    }

    @Test("every command gets exactly one reply, in order, even when pipelined")
    func oneReplyPerCommand() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        _ = alice.link.take()
        for line in ["PING 1", "bogus", "JOIN #x", "PING 2", "NICK bob", "WHOAMI"] {
            core.receive(line: Array(line.utf8), from: alice.session)
        }
        let replies = alice.link.take()
        #expect(replies.count == 6)
        #expect(replies[0] == "OK PING 1")
        #expect(replies[1].hasPrefix("ERR UNKNOWN_COMMAND"))
        #expect(replies[2] == "OK JOIN #x 1")
        #expect(replies[3] == "OK PING 2")
        #expect(replies[4].hasPrefix("ERR NOT_ALLOWED"))
        #expect(replies[5] == "OK WHOAMI alice cert tls sha256:ab #x")
    }

    @Test("a certificate name can be neither changed nor taken by an anonymous user")
    func certificateNamesAreBound() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        let guest = Client(core)
        #expect(alice.send("NICK mallory").first?.hasPrefix("ERR NOT_ALLOWED") == true)
        #expect(alice.send("NICK alice") == ["OK NICK alice"])
        #expect(guest.send("NICK alice") == ["OK NICK ~alice"])  // the ~ namespace, never "alice"
        #expect(guest.send("NICK ~Alice") == ["OK NICK ~Alice"])
        let other = Client(core)
        #expect(other.send("NICK ~alice").first?.hasPrefix("ERR NAME_IN_USE") == true)
        #expect(other.send("NICK admin").first?.hasPrefix("ERR NAME_RESERVED") == true)
        #expect(other.send("NICK bad/name").first?.hasPrefix("ERR BAD_ARGUMENTS") == true)
        #expect(alice.send("MSG alice hi") == ["PRIV alice cert hi", "OK MSG alice sent 1/1"])
    }

    @Test("a certificate with a hostile or empty CN gives no name: anonymous with a notice", arguments: [
        "", "bad name", "evil\u{1B}[2J", "~alice", "al:ice", String(repeating: "a", count: 33), "ålice",
    ])
    func hostileCommonName(_ commonName: String) {
        let core = ChatServerCore()
        let client = Client(core, cert: commonName)
        #expect(client.link.lines.first == "HELLO chat/1 tlschatd tls ~guest1 tls #lobby")
        #expect(client.link.lines.dropFirst().first == "NOTICE identity certificate name not usable as a chat name")
    }

    @Test("a second connection with the same certificate name replaces the first")
    func certificateReplacesOlderSession() {
        let core = ChatServerCore()
        let first = Client(core, cert: "alice")
        let watcher = Client(core, cert: "bob")
        _ = watcher.link.take()
        let second = Client(core, cert: "alice")
        #expect(first.link.lines.contains("NOTICE replaced another connection signed in with your certificate"))
        #expect(first.link.closed)
        #expect(watcher.link.take() == ["PARTED #lobby alice cert quit", "JOINED #lobby alice cert"])
        #expect(watcher.send("MSG alice hi") == ["OK MSG alice sent 1/1"])
        #expect(second.link.lines.last == "PRIV bob cert hi")
        #expect(first.send("PING") == [])  // the replaced session is gone
    }

    @Test("rooms: join makes current, part falls back, membership events, counts")
    func rooms() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        #expect(alice.send("JOIN #Dev") == ["OK JOIN #dev 1"])
        #expect(bob.send("JOIN #dev") == ["OK JOIN #dev 2"])
        #expect(alice.link.take() == ["JOINED #dev bob cert"])
        #expect(bob.send("SAY hello dev") == ["OK SAY #dev sent 1/1"])
        #expect(alice.link.take() == ["MSG #dev bob cert hello dev"])
        #expect(bob.send("PART") == ["OK PART #dev"])
        #expect(alice.link.take() == ["PARTED #dev bob cert part"])
        #expect(bob.send("SAY back in lobby") == ["OK SAY #lobby sent 1/1"])
        #expect(bob.send("PART #lobby") == ["OK PART #lobby"])
        #expect(bob.send("SAY anyone?").first?.hasPrefix("ERR NO_CURRENT_ROOM") == true)
        #expect(bob.send("MSG #dev hi").first?.hasPrefix("ERR NOT_IN_ROOM") == true)
        #expect(bob.send("MSG #nowhere hi").first?.hasPrefix("ERR NO_SUCH_ROOM") == true)
        #expect(bob.send("MSG carol hi").first?.hasPrefix("ERR NO_SUCH_USER") == true)
        #expect(bob.send("JOIN dev").first?.hasPrefix("ERR BAD_ARGUMENTS") == true)
        #expect(bob.send("ROOMS") == ["OK ROOMS 2 #dev:1 #lobby:1"])
        #expect(alice.send("WHO") == ["OK WHO #dev 1 alice:cert"])
    }

    @Test("WHO lists at most the limit and counts the rest; rooms per client are capped")
    func listingAndRoomLimits() {
        var limits = ChatLimits()
        limits.maximumListedItems = 3
        limits.maximumRoomsPerClient = 2
        let core = ChatServerCore(limits: limits)
        let clients = (0..<5).map { _ in Client(core) }
        #expect(clients[0].send("WHO") == ["OK WHO #lobby 5 ~guest1:tls ~guest2:tls ~guest3:tls +2"])
        #expect(clients[0].send("JOIN #a") == ["OK JOIN #a 1"])
        #expect(clients[0].send("JOIN #b").first?.hasPrefix("ERR TOO_MANY_ROOMS") == true)
    }

    @Test("bad text is refused with the connection kept, and text can never forge a line")
    func badText() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        _ = bob.link.take()
        _ = alice.link.take()
        core.receive(line: [0x53, 0x41, 0x59, 0x20, 0xFF, 0xFE], from: alice.session)
        #expect(alice.link.take().first?.hasPrefix("ERR BAD_UTF8") == true)
        #expect(alice.send("SAY hi\rMSG #lobby mallory cert fake").first?.hasPrefix("ERR BAD_TEXT") == true)
        #expect(alice.send("SAY \u{1B}[31mred").first?.hasPrefix("ERR BAD_TEXT") == true)
        #expect(alice.send("SAY tab\tis fine") == ["OK SAY #lobby sent 1/1"])
        #expect(bob.link.take() == ["MSG #lobby alice cert tab\tis fine"])
        #expect(alice.send("   ") == [])
    }

    @Test("case folding is ASCII only; Unicode look-alikes never match names, rooms or verbs")
    func asciiCaseFolding() {
        let core = ChatServerCore()
        let guest = Client(core), alice = Client(core, cert: "alice")
        #expect(guest.send("NICK ~kk") == ["OK NICK ~kk"])
        #expect(alice.send("MSG ~\u{212A}k hi").first?.hasPrefix("ERR") == true)  // KELVIN SIGN is not K
        #expect(alice.send("\u{17F}AY x").first?.hasPrefix("ERR UNKNOWN_COMMAND") == true)  // LONG S is not S
        #expect(alice.send("MSG ~KK hi") == ["OK MSG ~kk sent 1/1"])
        #expect(alice.send("MSG  ~kk  two spaces") == ["OK MSG ~kk sent 1/1"])
        #expect(guest.link.lines.last == "PRIV alice cert  two spaces")
    }

    @Test("line and paragraph separators and bidi controls are refused as BAD_TEXT", arguments: [
        "\u{2028}", "\u{2029}", "\u{202E}", "\u{2066}", "\u{85}",
    ])
    func unicodeSeparatorsRefused(_ character: String) {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice")
        #expect(alice.send("SAY a\(character)MSG #lobby bob cert forged").first?.hasPrefix("ERR BAD_TEXT") == true)
    }

    @Test("the number of rooms on the server is capped")
    func serverRoomCap() {
        var limits = ChatLimits()
        limits.maximumRooms = 3  // #lobby plus two
        let core = ChatServerCore(limits: limits)
        let alice = Client(core, cert: "alice")
        #expect(alice.send("JOIN #a") == ["OK JOIN #a 1"])
        #expect(alice.send("JOIN #b") == ["OK JOIN #b 1"])
        #expect(alice.send("JOIN #c").first?.hasPrefix("ERR TOO_MANY_ROOMS") == true)
        #expect(alice.send("JOIN #a") == ["OK JOIN #a 1"])  // existing rooms stay joinable
    }

    @Test("rate limiting and idle handling keep one reply per command and close cleanly")
    func rateLimitAndIdle() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        _ = alice.link.take()
        core.refuseRateLimited(alice.session)
        #expect(alice.link.take().first?.hasPrefix("ERR RATE_LIMITED ") == true)
        core.pingIdle(alice.session, token: "idle-1")
        #expect(alice.link.take() == ["PING idle-1"])
        _ = bob.link.take()
        core.dropIdle(alice.session, why: .idle, explanation: "no reply to PING")
        #expect(alice.link.take() == ["NOTICE idle no reply to PING; closing"])
        #expect(alice.link.closed)
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit"])
        core.refuseRateLimited(alice.session)
        #expect(alice.link.take().isEmpty)  // nothing after the close
    }

    @Test("a recipient that cannot take a message is counted: sent N/M")
    func partialDelivery() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob"), carol = Client(core, cert: "carol")
        carol.link.accepting = false
        #expect(alice.send("SAY hi") == ["OK SAY #lobby sent 1/2"])
        #expect(bob.link.lines.last == "MSG #lobby alice cert hi")
    }

    @Test("BYE replies OK, closes, and ignores anything pipelined after it")
    func bye() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        _ = bob.link.take()
        #expect(alice.send("BYE") == ["OK BYE"])
        #expect(alice.link.closed)
        #expect(alice.send("PING") == [])
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit"])
        core.disconnect(alice.session)  // the transport reports the close later: harmless
        #expect(core.sessionCount == 1)
    }

    @Test("an over-long line gets LINE_TOO_LONG and a close; shutdown notifies everyone")
    func lineTooLongAndShutdown() {
        let core = ChatServerCore()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        _ = alice.link.take()
        core.lineTooLong(from: alice.session)
        #expect(alice.link.take().first?.hasPrefix("ERR LINE_TOO_LONG") == true)
        #expect(alice.link.closed)
        let carol = Client(core, cert: "carol")
        _ = bob.link.take()
        _ = carol.link.take()
        core.shutDown()
        #expect(bob.link.lines == ["NOTICE shutdown server is shutting down"])  // no PARTED storm
        #expect(carol.link.lines == ["NOTICE shutdown server is shutting down"])
        #expect(bob.link.closed)
        #expect(core.sessionCount == 0)
    }
}
