// ClusterCoreTests: the chat core in cluster mode, fed line by line with a
// RecordingClusterLink and a store that answers later (DelayedHistoryStore):
// presence of other nodes' users (JOINED/PARTED/RENAMED, WHO, ROOMS, counts),
// room messages delivered from the feed in its order (the sender's own node
// included, the sender skipped), a feed message that may be this node's own
// waiting for the batch in flight, OK counts across nodes, NICK claimed
// cluster-wide before it is taken (input held meanwhile), guest names that
// carry the node's suffix, a certificate user signing in elsewhere replacing
// the session here (and two logins at once keeping exactly one), a lost
// node's users leaving, private messages both ways, what other nodes send
// that a client could not have sent (dropped), a full feed backlog kept in
// order, a partly stored batch delivered once. Edge cases: ClusterEdgeCoreTests.
import ChatCore
import Testing

/// A core with a store that answers later and a recording cluster link.
func clustered() throws -> (DelayedHistoryFixture, RecordingClusterLink) {
    let fixture = try DelayedHistoryFixture()
    let link = RecordingClusterLink()
    fixture.core.cluster = link
    return (fixture, link)
}

@Suite("chat core in a cluster", .serialized)
struct ClusterCoreTests {
    @Test("users of other nodes appear in WHO, ROOMS and counts, and their joins and parts are announced")
    func remotePresence() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice")
        fixture.core.remoteUserArrived(name: "bob", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "bob", node: "n2")
        #expect(alice.link.take().last == "JOINED #lobby bob cert")
        fixture.core.remoteUserArrived(name: "~carol", trust: .tls, node: "n3")
        fixture.core.remoteJoined(room: "#ops", name: "~carol", node: "n3")
        #expect(alice.link.take() == [], "not told of rooms it is not in")
        #expect(alice.send("WHO") == ["OK WHO #lobby 2 alice:cert bob:cert"])
        #expect(alice.send("ROOMS") == ["OK ROOMS 2 #lobby:2 #ops:1"])
        #expect(alice.send("WHO #ops") == ["OK WHO #ops 1 ~carol:tls"])
        #expect(alice.send("JOIN #ops") == ["OK JOIN #ops 2"])
        fixture.core.remoteParted(room: "#ops", name: "~carol", node: "n3", reason: "part")
        #expect(alice.link.take() == ["PARTED #ops ~carol tls part"])
        fixture.core.remoteParted(room: "#lobby", name: "bob", node: "n9", reason: "part")
        #expect(alice.link.take() == [], "an event about bob from a node bob is not on is ignored")
        fixture.core.remoteRenamed(from: "~carol", to: "~dave", node: "n3")
        fixture.core.remoteNodeLost("n2")
        #expect(alice.link.take() == ["PARTED #lobby bob cert quit"])
        #expect(alice.send("WHO #lobby") == ["OK WHO #lobby 1 alice:cert"])
    }

    @Test("this node's presence is announced: arrive, join, part, leave")
    func announcesPresence() throws {
        let (fixture, link) = try clustered()
        let alice = Client(fixture.core, cert: "alice")
        #expect(link.take() == ["arrive alice cert", "interest #lobby true", "join #lobby alice"])
        alice.send("JOIN #ops")
        alice.send("PART #ops")
        #expect(link.take() == ["interest #ops true", "join #ops alice", "part #ops alice part", "interest #ops false"])
        fixture.core.disconnect(alice.session)
        #expect(link.take() == ["part #lobby alice quit", "interest #lobby false", "leave alice"])
    }

    @Test("a room message is answered at the store's ack and delivered from the feed, in feed order, sender skipped")
    func roomMessagesComeFromTheFeed() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        fixture.core.remoteUserArrived(name: "carol", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "carol", node: "n2")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY one"])
        fixture.commit()
        // carol's message reaches the feed while alice's batch is in flight: it may be ours, so it waits.
        fixture.core.clusterRoomMessage(HistoryEntry(id: 1000, time: 0, scope: .room("#lobby"), sender: "carol", trust: .cert, text: "first"))
        #expect(bob.link.take() == [])
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 2/2", "MSG #lobby carol cert first"], "bob here and carol on n2")
        #expect(bob.link.take() == ["MSG #lobby carol cert first"], "the waiting feed message is delivered after the batch")
        let stored = try fixture.store.inner.messages(in: .room("#lobby"), .latest, limit: 10)
        let ownID = try #require(stored.first { $0.text == "one" }?.id)
        fixture.core.clusterRoomMessage(HistoryEntry(id: ownID, time: 0, scope: .room("#lobby"), sender: "alice", trust: .cert, text: "one"))
        #expect(bob.link.take() == ["MSG #lobby alice cert one"])
        #expect(alice.link.take() == [], "the sender does not get its own message back")
    }

    @Test("feed messages waiting for a batch in flight keep their order when they fill the backlog")
    func aFullFeedBacklogKeepsTheOrder() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY mine"])
        fixture.commit()
        let count = ChatServerCore.maximumOwnStoredMessages + 10
        for index in 0..<count {
            fixture.core.clusterRoomMessage(HistoryEntry(id: Int64(1000 + index), time: 0, scope: .room("#lobby"),
                                                         sender: "carol", trust: .cert, text: "m\(index)"))
        }
        fixture.store.completeNext()
        let received = bob.link.take().filter { $0.hasPrefix("MSG #lobby carol") }
        #expect(received.count == count)
        #expect(received == (0..<count).map { "MSG #lobby carol cert m\($0)" }, "out of order")
    }

    @Test("what another node sends that a client could not have sent reaches no client and is reported")
    func invalidRemoteInputIsDropped() throws {
        let (fixture, _) = try clustered()
        var refused: [String] = []
        fixture.core.refusedRemoteInput = { refused.append($0) }
        let alice = Client(fixture.core, cert: "alice")
        fixture.core.remoteUserArrived(name: "bob", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "bob", node: "n2")
        _ = alice.link.take()
        fixture.core.remoteUserArrived(name: "eve\r\nNOTICE forged", trust: .cert, node: "n2")
        fixture.core.remoteUserArrived(name: "~eve", trust: .cert, node: "n2")
        fixture.core.remoteUserArrived(name: "eve", trust: .tls, node: "n2")
        fixture.core.remoteJoined(room: "#lo bby", name: "bob", node: "n2")
        fixture.core.remoteParted(room: "#lobby", name: "bob", node: "n2", reason: "x\nNOTICE forged")
        fixture.core.remoteRenamed(from: "bob", to: "bob two", node: "n2")
        fixture.core.remotePrivateMessage(to: "alice", from: "bob", trust: .cert, text: "hi\nNOTICE forged", id: nil)
        fixture.core.remotePrivateMessage(to: "alice", from: "bob", trust: .cert, text: "", id: nil)
        fixture.core.remoteCertificateOnly(room: "#lobby\n", by: "bob")
        for text in ["hi\r\nNOTICE forged", "\u{202E}reversed", ""] {
            fixture.core.clusterRoomMessage(HistoryEntry(id: 5, time: 0, scope: .room("#lobby"), sender: "bob", trust: .cert, text: text))
        }
        fixture.core.clusterRoomMessage(HistoryEntry(id: 6, time: 0, scope: .room("#lobby"), sender: "~bob", trust: .cert, text: "hi"))
        #expect(alice.link.take() == [], "nothing reached the client")
        #expect(refused.count == 13, "\(refused)")
        #expect(alice.send("WHO #lobby") == ["OK WHO #lobby 2 alice:cert bob:cert"], "bob is still bob, in #lobby")
        fixture.core.clusterRoomMessage(HistoryEntry(id: 7, time: 0, scope: .room("#lobby"), sender: "bob", trust: .cert, text: "fine\tthanks"))
        #expect(alice.link.take() == ["MSG #lobby bob cert fine\tthanks"])
    }

    @Test("a failed store delivers locally and says unstored; other nodes are not counted as reached")
    func storeFailureDeliversLocally() throws {
        let (fixture, link) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        fixture.core.remoteUserArrived(name: "carol", trust: .cert, node: "n2")
        fixture.core.remoteJoined(room: "#lobby", name: "carol", node: "n2")
        _ = alice.link.take(); _ = bob.link.take(); _ = link.take()
        _ = alice.send("CAP REQ history")
        fixture.feed(alice, ["SAY lonely"])
        fixture.store.appendFailure = HistoryError(.full, "disk full")
        fixture.commit()
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK SAY #lobby sent 1/2 unstored"])
        #expect(bob.link.take() == ["MSG #lobby alice cert lonely"])
    }

    @Test("a message stored by a batch that failed part-way is delivered here once, not again from the feed")
    func partlyStoredBatchIsNotDeliveredTwice() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY kept", "SAY lost"])
        var failure = HistoryError(.failed, "the NATS connection was lost and not back within 3s")
        failure.storedIDs = [0: 4242]  // "kept" was acknowledged before the failure
        fixture.store.appendFailure = failure
        fixture.commit()
        fixture.store.completeNext()
        #expect(bob.link.take() == ["MSG #lobby alice cert kept", "MSG #lobby alice cert lost"])
        fixture.core.clusterRoomMessage(HistoryEntry(id: 4242, time: 0, scope: .room("#lobby"), sender: "alice", trust: .cert, text: "kept"))
        #expect(bob.link.take() == [], "delivered twice")
        #expect(alice.link.take().allSatisfy { !$0.hasPrefix("MSG") }, "the sender got its own message")
        fixture.core.clusterRoomMessage(HistoryEntry(id: 4243, time: 0, scope: .room("#lobby"), sender: "carol", trust: .cert, text: "next"))
        #expect(bob.link.take() == ["MSG #lobby carol cert next"])
    }

    @Test("NICK is claimed cluster-wide first; input is held meanwhile; a refused claim is NAME_IN_USE")
    func nickClaims() throws {
        let (fixture, link) = try clustered()
        let guest = Client(fixture.core)
        #expect(guest.link.lines.first == "HELLO chat/1 tlschatd tls ~guest1-n1 tls #lobby")
        _ = link.take()
        #expect(guest.send("NICK zed") == [])
        #expect(guest.send("PING p") == [], "held behind the claim")
        #expect(link.take() == ["claim ~zed"])
        link.answerClaim(true)
        #expect(guest.link.take() == ["OK NICK ~zed", "OK PING p"])
        #expect(link.take() == ["rename ~guest1-n1 ~zed"], "a guest name was never claimed: nothing to release")
        guest.send("NICK yan")
        link.answerClaim(false)
        #expect(guest.link.take() == ["ERR NAME_IN_USE ~yan is in use"])
        #expect(guest.send("NICK guest7-n2") == ["ERR NAME_RESERVED guest names are given by the server"])
        fixture.core.remoteUserArrived(name: "~xi", trust: .tls, node: "n2")
        #expect(guest.send("NICK xi") == ["ERR NAME_IN_USE ~xi is in use"], "known to be taken: refused without asking")
        _ = link.take()
        guest.send("NICK wu")
        link.answerClaim(true)
        #expect(link.take() == ["claim ~wu", "rename ~zed ~wu", "release ~zed"])
    }

    @Test("a certificate user signing in on another node replaces the session here")
    func remoteSignInReplaces() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.core.remoteUserArrived(name: "alice", trust: .cert, node: "n2")
        #expect(alice.link.take().first == "NOTICE replaced another connection signed in with your certificate")
        #expect(alice.link.closed)
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit"])
        fixture.core.remoteJoined(room: "#lobby", name: "alice", node: "n2")
        #expect(bob.send("WHO") == ["OK WHO #lobby 2 alice:cert bob:cert"])
    }

    @Test("two logins of one certificate on two nodes at once keep the later one, on both nodes alike")
    func simultaneousLoginsKeepOne() throws {
        let (fixture, link) = try clustered()  // this node's id begins with "n1" (RecordingClusterLink)
        let alice = Client(fixture.core, cert: "alice", now: 1_000), bob = Client(fixture.core, cert: "bob", now: 1_000)
        _ = alice.link.take(); _ = bob.link.take(); _ = link.take()
        // n2's alice began earlier: n2 ends it when it hears of ours; ours stays.
        fixture.core.remoteUserArrived(name: "alice", trust: .cert, node: "n2", since: 999)
        #expect(!alice.link.closed && alice.link.take() == [])
        #expect(bob.send("WHO") == ["OK WHO #lobby 2 alice:cert bob:cert"], "the remote alice was not taken in")
        fixture.core.remoteUserLeft(name: "alice", node: "n2")
        #expect(!alice.link.closed)
        // At the same second the node ids decide: "n0" < "n1" keeps ours, "n2" > "n1" takes over.
        fixture.core.remoteUserArrived(name: "alice", trust: .cert, node: "n0-abcdef", since: 1_000)
        #expect(!alice.link.closed)
        fixture.core.remoteUserArrived(name: "alice", trust: .cert, node: "n2-abcdef", since: 1_000)
        #expect(alice.link.closed, "the other login is the later one by the tie-break")
        #expect(bob.link.take() == ["PARTED #lobby alice cert quit"])
        // An arrival without a start time (an older node) takes over, as before.
        let carol = Client(fixture.core, cert: "carol", now: 5_000)
        fixture.core.remoteUserArrived(name: "carol", trust: .cert, node: "n2", since: nil)
        #expect(carol.link.closed)
        // A login that knew of ours always wins, whatever the clocks say (it came after ours).
        let dave = Client(fixture.core, cert: "dave", now: 9_000)
        fixture.core.remoteUserArrived(name: "dave", trust: .cert, node: "n0", since: 8_000, supersedes: "n1")
        #expect(dave.link.closed, "n0's login came after ours: ours ends")
        // Ours, made knowing n9 held erin, is announced as superseding n9 (n9 then gives way).
        fixture.core.remoteUserArrived(name: "erin", trust: .cert, node: "n9", since: 10)
        _ = link.take()
        _ = Client(fixture.core, cert: "erin", now: 11)
        #expect(link.take().first == "arrive erin cert after n9")
    }

    @Test("private messages to and from users of other nodes")
    func privateMessages() throws {
        let (fixture, link) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), guest = Client(fixture.core)
        fixture.core.remoteUserArrived(name: "bob", trust: .cert, node: "n2")
        _ = link.take(); _ = alice.link.take()
        #expect(guest.send("MSG bob hi") == ["OK MSG bob sent 1/1"])
        #expect(link.take() == ["priv n2 bob ~guest1-n1 hi"])
        fixture.feed(alice, ["MSG bob stored"])  // two cert users: stored first
        fixture.commit()
        #expect(link.take() == [])
        fixture.store.completeNext()
        #expect(alice.link.take() == ["OK MSG bob sent 1/1"])
        #expect(link.take().first?.hasPrefix("priv n2 bob alice stored id=") == true)
        fixture.core.remotePrivateMessage(to: "alice", from: "bob", trust: .cert, text: "back", id: 9)
        #expect(alice.link.take() == ["PRIV bob cert back"])
    }
}
