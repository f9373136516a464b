// CertificateOnlyRoomTests: rooms that admit `cert` users only (PROTOCOL.md
// section 12), fed line by line to the pure core: who may mark a room, who is
// refused, that no anonymous or plaintext sender can ever speak in one, that
// operator-named rooms hold whenever they exist, and that a client which did
// not enable `room-flags` sees exactly the lines it saw before.
import ChatCore
import Testing

@Suite("certificate-only rooms")
struct CertificateOnlyRoomTests {
    func core(operatorRooms: Set<String> = []) -> ChatServerCore {
        var limits = ChatLimits()
        limits.certificateOnlyRooms = operatorRooms
        return ChatServerCore(limits: limits)
    }

    @Test("a cert member marks a room of cert users; tls and plain users are then refused at JOIN")
    func markAndRefuse() {
        let core = core()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob")
        let guest = Client(core), plain = Client(core, transport: .plain)
        #expect(alice.send("JOIN #ops") == ["OK JOIN #ops 1"])
        #expect(bob.send("JOIN #ops") == ["OK JOIN #ops 2"])
        _ = alice.link.take()
        #expect(alice.send("CERTONLY") == ["OK CERTONLY #ops"], "default: the current room")
        #expect(bob.link.take().isEmpty, "bob did not enable room-flags: no new line")
        #expect(guest.send("JOIN #OPS") == ["ERR NOT_ALLOWED #ops admits certificate users only; you are tls"])
        #expect(plain.send("JOIN #ops") == ["ERR NOT_ALLOWED #ops admits certificate users only; you are plain"])
        #expect(guest.send("MSG #ops hello") == ["ERR NOT_IN_ROOM join #ops first"])
        #expect(guest.send("HISTORY #ops") != ["OK HISTORY #ops 0"], "no history of a room one cannot join")
        let carol = Client(core, cert: "carol")
        #expect(carol.send("JOIN #ops") == ["OK JOIN #ops 3"])
        #expect(bob.link.take() == ["JOINED #lobby carol cert", "JOINED #ops carol cert"])
        #expect(alice.send("CERTONLY #ops") == ["OK CERTONLY #ops"], "marking twice is fine")
    }

    @Test("marking is refused for a non-cert user, a non-member, the starting room, or while a lower-trust member is in the room")
    func markRefusals() {
        let core = core()
        let alice = Client(core, cert: "alice"), guest = Client(core)
        #expect(guest.send("JOIN #mixed") == ["OK JOIN #mixed 1"])
        #expect(guest.send("CERTONLY #mixed") == ["ERR NOT_ALLOWED only certificate users can make a room certificate-only"])
        #expect(alice.send("CERTONLY #mixed") == ["ERR NOT_IN_ROOM you are not in #mixed"])
        #expect(alice.send("JOIN #mixed") == ["OK JOIN #mixed 2"])
        #expect(alice.send("CERTONLY #mixed") == ["ERR NOT_ALLOWED ~guest1 (tls) is in #mixed; everyone must be a certificate user"])
        #expect(guest.send("SAY still here") == ["OK SAY #mixed sent 1/1"], "nobody is removed: the room stays open")
        #expect(alice.send("CERTONLY #lobby") == ["ERR NOT_ALLOWED #lobby is the starting room and admits everyone"])
        #expect(alice.send("CERTONLY #bad!") .first?.hasPrefix("ERR BAD_ARGUMENTS") == true)
        #expect(alice.send("CERTONLY #a #b") == ["ERR BAD_ARGUMENTS usage: CERTONLY [#ROOM]"])
        #expect(alice.send("PART #mixed") == ["OK PART #mixed"])
        #expect(guest.send("PART #mixed") == ["OK PART #mixed"])
        #expect(alice.send("JOIN #mixed") == ["OK JOIN #mixed 1"])
        #expect(alice.send("CERTONLY") == ["OK CERTONLY #mixed"], "a fresh room of one cert user")
        _ = alice.send("PART #mixed")
        #expect(guest.send("JOIN #mixed") == ["ERR NOT_ALLOWED #mixed admits certificate users only; you are tls"],
                "the mark stays when the room empties and is re-created")
    }

    @Test("with history the mark is kept with the room's messages: after a restart nobody but cert users can join and read them")
    func markSurvivesRestartWithHistory() throws {
        let first = try HistoryFixture()
        let alice = Client(first.core, cert: "alice")
        #expect(alice.send("JOIN #secret") == ["OK JOIN #secret 1"])
        #expect(alice.send("CERTONLY") == ["OK CERTONLY #secret"])
        _ = alice.send("SAY for certificate users only")
        first.commit()
        _ = alice.send("BYE")
        let restarted = ChatServerCore()  // a new process on the same database
        restarted.history = first.store
        try restarted.loadCertificateOnlyMarks()
        let guest = Client(restarted), bob = Client(restarted, cert: "bob")
        #expect(guest.send("JOIN #secret") == ["ERR NOT_ALLOWED #secret admits certificate users only; you are tls"])
        #expect(guest.send("HISTORY #secret").first?.hasPrefix("ERR NOT_IN_ROOM") == true)
        #expect(bob.send("JOIN #secret") == ["OK JOIN #secret 1"])
    }

    @Test("operator-named rooms admit cert users only whenever they exist")
    func operatorRooms() {
        let core = core(operatorRooms: ["#staff"])
        let guest = Client(core), alice = Client(core, cert: "alice")
        #expect(guest.send("JOIN #staff") == ["ERR NOT_ALLOWED #staff admits certificate users only; you are tls"])
        #expect(alice.send("JOIN #staff") == ["OK JOIN #staff 1"])
        _ = alice.send("PART #staff")
        #expect(guest.send("JOIN #Staff") == ["ERR NOT_ALLOWED #staff admits certificate users only; you are tls"])
    }

    @Test("room-flags: ROOMS and WHO mark the room, and members who enabled it are told when it is marked")
    func roomFlagsCapability() {
        let core = core()
        let alice = Client(core, cert: "alice"), bob = Client(core, cert: "bob"), guest = Client(core)
        #expect(bob.send("CAP LS").first?.contains(" room-flags") == true)
        #expect(bob.send("CAP REQ room-flags") == ["OK CAP REQ room-flags"])
        _ = (alice.send("JOIN #ops"), bob.send("JOIN #ops"), alice.link.take())
        #expect(alice.send("CERTONLY") == ["OK CERTONLY #ops"])
        #expect(bob.link.take() == ["NOTICE cert-only #ops admits certificate users only from now on (set by alice)"])
        #expect(bob.send("ROOMS") == ["OK ROOMS 2 #lobby:3 #ops:2:cert"])
        #expect(bob.send("WHO #ops") == ["OK WHO #ops:cert 2 alice:cert bob:cert"])
        #expect(guest.send("ROOMS") == ["OK ROOMS 2 #lobby:3 #ops:2"], "unchanged without room-flags")
        #expect(guest.send("WHO #ops") == ["OK WHO #ops 2 alice:cert bob:cert"])
    }
}
