// ClusterEdgeCoreTests: the chat core in cluster mode at its edges, fed line
// by line with a RecordingClusterLink and a DelayedHistoryStore (as in
// ClusterCoreTests): certificate-only marks across nodes (refused while a
// lower-trust user of another node is a member, applied when set elsewhere,
// learned late after a partition), anonymous names given back or taken over
// elsewhere, and users moving between nodes.
import ChatCore
import Testing

@Suite("certificate-only rooms in a cluster", .serialized)
struct ClusterCertificateOnlyTests {
    @Test("CERTONLY is refused while a lower-trust user of another node is in the room, announced once done, and applied when another node's member sets it")
    func certificateOnlyAcrossNodes() throws {
        let fixture = try DelayedHistoryFixture()
        let link = RecordingClusterLink()
        fixture.core.cluster = link
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        alice.send("JOIN #ops"); bob.send("JOIN #ops"); bob.send("CAP REQ room-flags")
        fixture.core.remoteUserArrived(name: "~eve", trust: .tls, node: "n2")
        fixture.core.remoteJoined(room: "#ops", name: "~eve", node: "n2")
        #expect(alice.send("CERTONLY #ops") == ["ERR NOT_ALLOWED ~eve (tls) is in #ops; everyone must be a certificate user"])
        fixture.core.remoteParted(room: "#ops", name: "~eve", node: "n2", reason: "part")
        _ = link.take(); _ = bob.link.take()
        alice.send("CERTONLY #ops")
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK CERTONLY #ops"])
        #expect(link.take() == ["certonly #ops alice"])
        let early = Client(fixture.core)  // joined #dev while carol's mark was on its way
        #expect(early.send("JOIN #dev") == ["OK JOIN #dev 1"])
        fixture.core.remoteCertificateOnly(room: "#dev", by: "carol")
        #expect(early.link.take() == ["NOTICE cert-only #dev admits certificate users only (set by carol on another node): you are no longer in it"])
        #expect(bob.send("JOIN #dev") == ["OK JOIN #dev 1"])
        let guest = Client(fixture.core)
        #expect(guest.send("JOIN #dev") == ["ERR NOT_ALLOWED #dev admits certificate users only; you are tls"])
    }

    @Test("a mark learned late (set elsewhere while this node was cut off) applies and takes lower-trust members out")
    func aMarkLearnedLateTakesAnonymousMembersOut() throws {
        let fixture = try DelayedHistoryFixture()
        fixture.core.cluster = RecordingClusterLink()
        let alice = Client(fixture.core, cert: "alice"), guest = Client(fixture.core)
        alice.send("JOIN #ops"); alice.send("CAP REQ room-flags")
        #expect(guest.send("JOIN #ops") == ["OK JOIN #ops 2"])
        let guestName = guest.session.name
        _ = alice.link.take()
        fixture.core.certificateOnlyMarkLearned(room: "#ops")
        #expect(guest.link.take() == ["NOTICE cert-only #ops admits certificate users only (set on another node): you are no longer in it"])
        #expect(alice.link.take() == ["PARTED #ops \(guestName) tls part",
                                      "NOTICE cert-only #ops admits certificate users only from now on (set on another node)"])
        #expect(guest.send("JOIN #ops") == ["ERR NOT_ALLOWED #ops admits certificate users only; you are tls"])
        #expect(alice.send("WHO #ops") == ["OK WHO #ops:cert 1 alice:cert"])
    }
}

@Suite("cluster names given back", .serialized)
struct ClusterNameReleaseTests {
    @Test("an anonymous name another node took over while this one was cut off ends its user here, told why")
    func nameTakenElsewhereEndsTheLocalUser() throws {
        let (fixture, link) = try clustered()
        let guest = Client(fixture.core), alice = Client(fixture.core, cert: "alice")
        guest.send("NICK carol")
        #expect(link.pendingClaims.count == 1)
        link.pendingClaims.removeFirst().completion(true)
        #expect(guest.link.take().last == "OK NICK ~carol")
        _ = alice.link.take(); _ = link.take()
        fixture.core.nameTakenElsewhere("alice")
        #expect(!alice.link.closed, "a certificate name is never given up this way")
        fixture.core.nameTakenElsewhere("~carol")
        #expect(guest.link.take() == ["NOTICE replaced your name ~carol was taken on another node while this server was cut off from its cluster; connect again"])
        #expect(guest.link.closed)
        #expect(alice.link.take() == ["PARTED #lobby ~carol tls quit"])
        #expect(link.take().contains("leave ~carol"))
    }

    @Test("a session that ends while its NICK claim is pending gives the name back when the claim succeeds")
    func releaseWhenGoneBeforeTheClaim() throws {
        let (fixture, link) = try clustered()
        let guest = Client(fixture.core)
        guest.send("NICK zed")
        fixture.core.disconnect(guest.session)
        _ = link.take()
        link.answerClaim(true)
        #expect(link.take() == ["release ~zed"])
    }

    @Test("two NICKs to one name on one node: the loser does not release the winner's claim")
    func loserKeepsTheWinnersClaim() throws {
        let (fixture, link) = try clustered()
        let first = Client(fixture.core), second = Client(fixture.core)
        first.send("NICK bob")
        second.send("NICK bob")
        _ = link.take()
        link.answerClaim(true)
        link.answerClaim(true)  // the shared claim: this node already holds it
        #expect(first.link.take() == ["OK NICK ~bob"])
        #expect(second.link.take().last == "ERR NAME_IN_USE ~bob is in use")
        #expect(!link.take().contains("release ~bob"))
        fixture.core.disconnect(first.session)
        #expect(link.take().contains("release ~bob"), "given back once nobody here holds it")
    }

    @Test("a private message from another node never reaches a session that must still upgrade (STARTTLS)")
    func noPlaintextPrivateMessages() throws {
        let (fixture, _) = try clustered()
        fixture.core.requireStartTLS = true
        let plain = Client(fixture.core, transport: .plain)
        _ = plain.link.take()
        fixture.core.remotePrivateMessage(to: plain.session.name, from: "bob", trust: .cert, text: "secret", id: nil)
        #expect(plain.link.take() == [])
    }
}

@Suite("users moving between nodes", .serialized)
struct ClusterMovingUserTests {
    @Test("a user who signs in on another node leaves its rooms here first (PARTED quit), then joins again")
    func movingUserPartsFirst() throws {
        let fixture = try DelayedHistoryFixture()
        fixture.core.cluster = RecordingClusterLink()
        let alice = Client(fixture.core, cert: "alice")
        fixture.core.remoteUserArrived(name: "bob", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "bob", node: "n2")
        _ = alice.link.take()
        fixture.core.remoteUserArrived(name: "bob", trust: .cert, node: "n3")
        #expect(alice.link.take() == ["PARTED #lobby bob cert quit"])
        fixture.core.remoteJoined(room: "#lobby", name: "bob", node: "n3")
        #expect(alice.link.take() == ["JOINED #lobby bob cert"])
        fixture.core.remoteParted(room: "#lobby", name: "bob", node: "n2", reason: "quit")
        #expect(alice.link.take() == [], "the old node's late events are ignored")
        let carol = Client(fixture.core, cert: "carol")
        _ = carol.link.take(); _ = alice.link.take()
        fixture.core.remoteUserArrived(name: "dave", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "dave", node: "n2")
        _ = alice.link.take()
        let dave = Client(fixture.core, cert: "dave")
        #expect(alice.link.take() == ["PARTED #lobby dave cert quit", "JOINED #lobby dave cert"])
        _ = dave
    }
}
