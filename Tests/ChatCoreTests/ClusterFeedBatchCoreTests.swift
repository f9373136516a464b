// ClusterFeedBatchCoreTests: the entries of one stored message of a room's
// feed handed to the core at once (clusterRoomMessages): delivered in order,
// the room checked once; a batch of a room no client could name is refused
// whole; an entry of another room than the batch's, or with a sender or text
// no client could have sent, is refused and the others delivered.
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
}
