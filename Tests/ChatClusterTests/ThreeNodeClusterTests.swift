// ThreeNodeClusterTests: the store and the feed on three routed nats-servers
// with an R3 stream: what one node's client appends, a client of another
// node reads; and when the node a feed's client is connected to is killed
// with SIGKILL, every entry acknowledged before or after the kill is in the
// history, and the feed (reconnected to a surviving node, on a new consumer)
// delivers each of them once, in stream order.
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct ThreeNodeClusterTests {
    @Test func whatOneNodeAppendsAnotherReads() throws {
        let cluster = try NATSTestCluster.three()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let writer = try ClusterProbe(urls: [cluster.nodes[0].url], loop: loop)
        let reader = try ClusterProbe(urls: [cluster.nodes[2].url], loop: loop)
        defer {
            reader.client.close()
            writer.finish()
        }
        try writer.waitForJetStream(replicas: 3)
        let writerStore = try writer.openStore(replicas: 3)
        let stored = try writer.fill(writerStore, "#r", count: 20)
        let readerStore = try reader.openStore(replicas: 3)
        #expect(try reader.read(readerStore, .room("#r"), .latest, limit: 100) == stored)
        #expect(try reader.read(readerStore, .room("#r"), .before(stored[10].id), limit: 3) == Array(stored[7..<10]))
        #expect(try reader.read(readerStore, .room("#r"), .after(stored[17].id), limit: 10) == Array(stored[18...]))
    }

    @Test func aFeedSurvivesTheKillOfItsNode() throws {
        let cluster = try NATSTestCluster.three()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let urls = cluster.nodes.map(\.url)
        let feedProbe = try ClusterProbe(urls: urls, loop: loop)  // connects to the first: the node we kill
        let writer = try ClusterProbe(urls: [urls[1], urls[2]], loop: loop)
        defer {
            feedProbe.client.close()
            writer.finish()
        }
        #expect(feedProbe.client.currentServer?.port == cluster.nodes[0].port)
        try writer.waitForJetStream(replicas: 3)
        let writerStore = try writer.openStore(replicas: 3)
        let feedStore = try feedProbe.openStore(replicas: 3)
        let record = FeedRecord()
        let feed = feedProbe.feed(feedStore, room: "#r", start: .after(0), record: record)
        defer { feed.stop() }
        var acknowledged = try writer.fillSingly(writerStore, "#r", count: 10)
        #expect(writer.run { record.sequences.count == 10 })

        cluster.nodes[0].kill()
        var failures = 0
        for index in 0..<10 {  // a batch that fails while the stream elects a leader is retried
            var stored: [HistoryEntry]?
            while stored == nil, failures < 40 {
                var result: Result<[HistoryEntry], HistoryError>?
                writerStore.append([roomMessage("#r", "after\(index)")]) { result = $0 }
                #expect(writer.run { result != nil })
                switch result {
                case .success(let entries)?: stored = entries
                default:
                    failures += 1
                    writer.run(for: .milliseconds(100)) { false }  // back off before the retry
                }
            }
            acknowledged += try #require(stored)
        }
        #expect(feedProbe.run { feedProbe.reconnects >= 1 })
        let order = acknowledged.map { sequence(of: $0) }
        #expect(writer.run(for: .seconds(30)) { record.sequences.count >= order.count })
        #expect(record.sequences.count == Set(record.sequences).count, "a message was delivered twice: \(record.sequences)")
        // Entries of failed batches may be stored too (no transactions); every acknowledged one is there, in order.
        #expect(Set(order).isSubset(of: Set(record.sequences)), "missing: \(Set(order).subtracting(record.sequences))")
        #expect(record.sequences == record.sequences.sorted())
        let history = try writer.readAfterFailover(writerStore, .room("#r"), .latest, limit: 1000)
        #expect(history.map { sequence(of: $0) } == record.sequences)
        #expect(feed.replacements >= 1)
    }
}
