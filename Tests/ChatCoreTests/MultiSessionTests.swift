// MultiSessionTests: several sessions per certificate user (tlschatd
// --sessions-per-user N) and the CAP command, fed line by line to the pure
// core: sessions share rooms and messages, others hear of the user once,
// the oldest is replaced only beyond the limit, and at the default of 1
// everything is exactly today's replacement behaviour.
import ChatCore
import Testing

@Suite("several sessions per certificate, CAP")
struct MultiSessionTests {
    func core(sessions: Int) -> ChatServerCore {
        var limits = ChatLimits()
        limits.sessionsPerUser = sessions
        return ChatServerCore(limits: limits)
    }

    @Test("a second session joins the user's rooms silently and shares what the user receives")
    func secondSessionShares() {
        let core = core(sessions: 2)
        let bob = Client(core, cert: "bob")
        let phone = Client(core, cert: "alice")
        #expect(phone.send("JOIN #dev") == ["OK JOIN #dev 1"])
        _ = bob.link.take()
        let laptop = Client(core, cert: "alice")
        #expect(laptop.link.take() == ["HELLO chat/1 tlschatd tls alice cert #dev"])
        #expect(bob.link.take().isEmpty, "bob hears nothing: alice was already here")
        #expect(phone.link.take().isEmpty)
        #expect(bob.send("SAY hi") == ["OK SAY #lobby sent 2/2"])
        #expect(phone.link.take() == ["MSG #lobby bob cert hi"])
        #expect(laptop.link.take() == ["MSG #lobby bob cert hi"])
        #expect(bob.send("MSG alice psst") == ["OK MSG alice sent 2/2"])
        #expect(phone.link.take() == ["PRIV bob cert psst"])
        #expect(laptop.link.take() == ["PRIV bob cert psst"])
        #expect(phone.send("SAY from the phone") == ["OK SAY #dev sent 1/1"])
        #expect(laptop.link.take() == ["MSG #dev alice cert from the phone"])
        #expect(bob.send("WHO #lobby") == ["OK WHO #lobby 2 alice:cert bob:cert"])
        #expect(bob.send("ROOMS") == ["OK ROOMS 2 #dev:1 #lobby:2"])
    }

    @Test("JOIN and PART by one session are done for all; others hear the user once")
    func joinAndPartForAll() {
        let core = core(sessions: 3)
        let bob = Client(core, cert: "bob")
        let one = Client(core, cert: "alice"), two = Client(core, cert: "alice")
        _ = (bob.link.take(), one.link.take(), two.link.take())
        #expect(bob.send("JOIN #ops") == ["OK JOIN #ops 1"])
        #expect(one.send("JOIN #ops") == ["OK JOIN #ops 2"])
        #expect(bob.link.take() == ["JOINED #ops alice cert"])
        #expect(two.link.take() == ["JOINED #ops alice cert"])
        #expect(two.send("WHOAMI").first?.hasSuffix(" #lobby") == true, "the other session keeps its current room")
        #expect(two.send("PART #ops") == ["OK PART #ops"])
        #expect(bob.link.take() == ["PARTED #ops alice cert part"])
        #expect(one.link.take() == ["PARTED #ops alice cert part"])
        #expect(one.send("WHOAMI").first?.hasSuffix(" #lobby") == true)
    }

    @Test("a session ending while others remain leaves silently; the last one parts as today")
    func lastSessionParts() {
        let core = core(sessions: 2)
        let bob = Client(core, cert: "bob")
        let one = Client(core, cert: "alice"), two = Client(core, cert: "alice")
        _ = bob.link.take()
        _ = one.send("BYE")
        #expect(bob.link.take().isEmpty)
        #expect(bob.send("WHO") == ["OK WHO #lobby 2 alice:cert bob:cert"])
        _ = two.send("BYE")
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit"])
        #expect(bob.send("WHO") == ["OK WHO #lobby 1 bob:cert"])
    }

    @Test("beyond the limit the oldest session is replaced, without PARTED or JOINED for the others")
    func oldestReplacedBeyondLimit() {
        let core = core(sessions: 2)
        let bob = Client(core, cert: "bob")
        let one = Client(core, cert: "alice"), two = Client(core, cert: "alice")
        _ = (bob.link.take(), two.link.take())
        let three = Client(core, cert: "alice")
        #expect(one.link.lines.last == "NOTICE replaced another connection signed in with your certificate")
        #expect(one.link.closed)
        #expect(!two.link.closed)
        #expect(bob.link.take().isEmpty)
        #expect(three.send("SAY still here") == ["OK SAY #lobby sent 2/2"])
    }

    @Test("at the default of one session a new login replaces the old exactly as before")
    func defaultReplaces() {
        let core = ChatServerCore()
        let bob = Client(core, cert: "bob")
        let old = Client(core, cert: "alice")
        _ = bob.link.take()
        _ = Client(core, cert: "alice")
        #expect(old.link.lines.last == "NOTICE replaced another connection signed in with your certificate")
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit", "JOINED #lobby alice cert"])
    }

    @Test("CAP LS advertises rate, line limit and sessions; CAP REQ names what it cannot enable")
    func capabilities() {
        var limits = ChatLimits()
        limits.commandBurst = 50
        limits.commandsPerSecond = 2.5
        limits.sessionsPerUser = 4
        let client = Client(ChatServerCore(limits: limits))
        #expect(client.send("CAP LS") == ["OK CAP LS rate=50/2.5 line=4096 sessions=4 room-flags"])
        #expect(client.send("cap") == ["OK CAP LS rate=50/2.5 line=4096 sessions=4 room-flags"])
        #expect(Client(ChatServerCore()).send("CAP") == ["OK CAP LS rate=40/20 line=4096 sessions=1 room-flags"])
        #expect(client.send("CAP REQ history").first?.hasPrefix("ERR BAD_ARGUMENTS no capability 'history' to enable") == true)
        #expect(client.send("CAP FROB").first?.hasPrefix("ERR BAD_ARGUMENTS usage: CAP") == true)
        #expect(client.send("HELP") == ["OK HELP NICK JOIN PART SAY MSG ROOMS WHO WHOAMI PING HELP BYE CAP HISTORY CERTONLY STARTTLS"])
    }
}
