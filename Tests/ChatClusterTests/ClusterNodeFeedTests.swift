// ClusterNodeFeedTests: what ClusterNode takes from its room feeds, with a
// fake RoomFeedSource and a NATS client that is never started: every entry of
// a stored message reaches the chat core in order, and the node's
// `highestSequence` (which heartbeats carry and new feeds start after) is the
// stream sequence handed over with the message, never an entry id (batch ids
// are above 2^62: a feed started after one would never deliver anything).
@testable import ChatCluster
import ChatCore
import ChatNet
@testable import NATSClient
import Testing

/// A RoomFeedSource that records what was asked and lets the test deliver.
final class FakeRoomFeeds: RoomFeedSource {
    final class Subscription: RoomFeedSubscription {
        var stopped = false
        func stop() { stopped = true }
    }
    var follows: [(room: String, after: UInt64)] = []
    var onUndecodable: ((String) -> Void)?
    var deliver: [String: (UInt64, StoredRoomBatch) -> Void] = [:]

    func follow(room: String, after: UInt64, deliver: @escaping (UInt64, StoredRoomBatch) -> Void) -> any RoomFeedSubscription {
        follows.append((room, after))
        self.deliver[room] = deliver
        return Subscription()
    }
}

@Suite struct ClusterNodeFeedTests {
    @Test func theNodeKeepsTheStreamSequenceOfWhatItsFeedsDeliverNotTheEntryIDs() throws {
        let loop = try EventLoop()
        let client = NATSClient(loop: loop, options: try NATSClientOptions(urls: ["nats://127.0.0.1:1"]))
        let core = ChatServerCore()
        let feeds = FakeRoomFeeds()
        let node = ClusterNode(nodeID: "n1", naming: try #require(ClusterNaming(clusterName: "test")), client: client,
                               core: core, feeds: feeds, names: nil)
        node.highestSequence = 5
        node.roomInterest("#a", hasLocalMembers: true)
        #expect(feeds.follows.last?.room == "#a" && feeds.follows.last?.after == 5)
        let entries = (0..<3).map { index in
            HistoryEntry(id: HistoryPosition.batchID(sequence: 9, index: index)!, time: 1, scope: .room("#a"), sender: "alice",
                         trust: .cert, text: "m\(index)")
        }
        feeds.deliver["#a"]?(9, StoredRoomBatch(room: "#a", entries: entries))
        #expect(node.highestSequence == 9)
        feeds.deliver["#a"]?(12, StoredRoomBatch(room: "#a", entries: []))  // a stored message none of whose entries could be read still counts
        #expect(node.highestSequence == 12)
        node.roomInterest("#b", hasLocalMembers: true)
        #expect(feeds.follows.last?.room == "#b" && feeds.follows.last?.after == 12)
    }

    @Test func aStoredMessageTheFeedCannotReadIsLoggedByTheNode() throws {
        let loop = try EventLoop()
        let client = NATSClient(loop: loop, options: try NATSClientOptions(urls: ["nats://127.0.0.1:1"]))
        let feeds = FakeRoomFeeds()
        let node = ClusterNode(nodeID: "n1", naming: try #require(ClusterNaming(clusterName: "test")), client: client,
                               core: ChatServerCore(), feeds: feeds, names: nil)
        var logged: [String] = []
        node.log = { level, message in logged.append("\(level) \(message)") }
        feeds.onUndecodable?("#a: stream message 7 has no header line")
        #expect(logged == ["warning cluster: ignored stored messages of #a: stream message 7 has no header line"])
    }
}
