// ClusterFeedBatchCoreTests: the entries of one stored message of a room's
// feed handed to the core at once (clusterRoomMessages): delivered in order,
// the room checked once; a batch of a room no client could name is refused
// whole; an entry of another room than the batch's, or with a sender or text
// no client could have sent, is refused and the others delivered. A batch
// as the feed hands it (StoredRoomBatch: fields located in the stored bytes,
// anywhere) gives the same lines, with ids for a member that asked for them;
// a text that is not UTF-8 is refused like a forged line break. Batches
// that wait behind this node's batch in flight keep their order when they
// fill the backlog, and the sender's own message, stored after them, is not
// sent back to it.
import ChatCore
import Testing

@Suite("cluster feed batches in the core")
struct ClusterFeedBatchCoreTests {
    static func entry(_ id: Int64, _ text: String, room: String = "#lobby", sender: String = "bob") -> HistoryEntry {
        HistoryEntry(id: id, time: 0, scope: .room(room), sender: sender, trust: .cert, text: text)
    }

    @Test("a batch from the feed is delivered in order")
    func aBatchIsDeliveredInOrder() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        fixture.core.clusterRoomMessages((1...5).map { Self.entry(Int64(100 + $0), "m\($0)") })
        #expect(alice.link.take() == (1...5).map { "MSG #lobby bob cert m\($0)" })
        fixture.core.clusterRoomMessages([])
        #expect(alice.link.take() == [])
    }

    @Test("a bad entry of a batch is refused and the others delivered; a bad room refuses the batch")
    func badEntriesAreRefusedOneByOne() throws {
        let (fixture, _) = try clustered()
        var refused: [String] = []
        fixture.core.refusedRemoteInput = { refused.append($0) }
        let alice = Client(fixture.core, cert: "alice")
        _ = alice.link.take()
        fixture.core.clusterRoomMessages([Self.entry(1, "one"), Self.entry(2, "two", room: "#other"), Self.entry(3, "hi\nNOTICE forged"),
                                          Self.entry(4, "four", sender: "~bob"), Self.entry(5, "five")])
        #expect(alice.link.take() == ["MSG #lobby bob cert one", "MSG #lobby bob cert five"])
        #expect(refused.count == 3, "\(refused)")
        fixture.core.clusterRoomMessages([Self.entry(6, "six", room: "#lo bby"), Self.entry(7, "seven", room: "#lo bby")])
        #expect(alice.link.take() == [])
        #expect(refused.count == 4, "\(refused)")
    }

    @Test("a batch of located fields gives the same lines, with ids for members that asked, and refuses non-UTF-8 text")
    func locatedFieldsMakeTheSameLines() throws {
        let (fixture, _) = try clustered()
        var refused: [String] = []
        fixture.core.refusedRemoteInput = { refused.append($0) }
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = bob.send("CAP REQ history")
        _ = alice.link.take(); _ = bob.link.take()
        // Fields in any order and with noise between them, as a stored message lays them out.
        var bytes = Array("noise~carolhi there\tok".utf8)
        let senderRange = 5..<11, textRange = 11..<bytes.count
        bytes += [0x62, 0x6F, 0x62, 0xFF, 0x21]  // "bob" then a text that is not UTF-8
        let badText = (bytes.count - 2)..<bytes.count
        let batch = StoredRoomBatch(room: "#lobby", bytes: bytes, entries: [
            StoredRoomBatch.Entry(id: 41, trust: .tls, sender: senderRange, text: textRange),
            StoredRoomBatch.Entry(id: 42, trust: .cert, sender: (bytes.count - 5)..<(bytes.count - 2), text: badText),
            StoredRoomBatch.Entry(id: 43, trust: .cert, sender: (bytes.count - 5)..<(bytes.count - 2), text: 0..<5),
        ])
        fixture.core.clusterRoomMessages(batch)
        #expect(alice.link.take() == ["MSG #lobby ~carol tls hi there\tok", "MSG #lobby bob cert noise"])
        #expect(bob.link.take() == ["MSGID 41 #lobby ~carol tls hi there\tok", "MSGID 43 #lobby bob cert noise"])
        #expect(refused.count == 1 && refused[0].contains("42"), "\(refused)")
        // Fields beyond the bytes (a broken RoomFeedSource) are refused, not read.
        fixture.core.clusterRoomMessages(StoredRoomBatch(room: "#lobby", bytes: bytes, entries: [
            StoredRoomBatch.Entry(id: 44, trust: .tls, sender: senderRange, text: 11..<(bytes.count + 1)),
            StoredRoomBatch.Entry(id: 45, trust: .cert, sender: -1..<2, text: 0..<5),
            StoredRoomBatch.Entry(id: 46, trust: .tls, sender: senderRange, text: textRange),
        ]))
        #expect(alice.link.take() == ["MSG #lobby ~carol tls hi there\tok"])
        #expect(refused.count == 3 && refused[1].contains("44") && refused[2].contains("45"), "\(refused)")
    }

    @Test("batches waiting behind the batch in flight keep their order past a full backlog; the own message is not sent back")
    func waitingBatchesKeepTheirOrder() throws {
        let (fixture, _) = try clustered()
        let alice = Client(fixture.core, cert: "alice"), bob = Client(fixture.core, cert: "bob")
        _ = alice.link.take(); _ = bob.link.take()
        fixture.feed(alice, ["SAY mine"])
        fixture.commit()
        let perBatch = 1000, batches = ChatServerCore.maximumOwnStoredMessages / perBatch + 3
        for batch in 0..<batches {
            fixture.core.clusterRoomMessages((0..<perBatch).map { Self.entry(Int64(1000 + batch * perBatch + $0), "m\(batch * perBatch + $0)", sender: "carol") })
        }
        fixture.store.completeNext()
        let stored = try fixture.store.inner.messages(in: .room("#lobby"), .latest, limit: 10)
        let ownID = try #require(stored.first { $0.text == "mine" }?.id)
        fixture.core.clusterRoomMessages([Self.entry(ownID, "mine", sender: "alice"), Self.entry(ownID + 1, "after", sender: "carol")])
        let received = bob.link.take().filter { $0.hasPrefix("MSG #lobby") }
        #expect(received == (0..<(batches * perBatch)).map { "MSG #lobby carol cert m\($0)" } + ["MSG #lobby alice cert mine", "MSG #lobby carol cert after"])
        #expect(!alice.link.take().contains("MSG #lobby alice cert mine"), "the sender got its own message back")
    }
}
