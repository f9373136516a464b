// ConcurrentAppendTests: JetStreamHistoryStore on three routed nats-servers
// (R3 stream) with several writers and a dying server: three stores, one
// per server, append 3 x 200 entries to one room at once (each store with
// ten batches in flight) and all succeed, with ids that increase within each
// batch; every store reads back the same history in sequence order and pages
// it exactly at the edges; a batch in flight when its client's server is
// killed with SIGKILL completes after the reconnect with nothing stored
// twice; a re-published stream message (same Nats-Msg-Id) counts as stored
// with its original sequence, every entry of it with its id.
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct ConcurrentAppendTests {
    @Test func threeStoresAppendingToOneRoomAtOnceAllSucceedAndReadTheSameHistory() throws {
        let cluster = try NATSTestCluster.three()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let probes = try cluster.nodes.map { try ClusterProbe(urls: [$0.url], loop: loop) }
        defer {
            for probe in probes.dropFirst() { probe.client.close() }
            probes[0].finish()
        }
        try probes[0].waitForJetStream(replicas: 3)
        let stores = try probes.map { try $0.openStore(replicas: 3) }
        var results: [Result<[HistoryEntry], HistoryError>] = []
        for batch in 0..<10 {
            for (number, store) in stores.enumerated() {
                store.append((0..<20).map { roomMessage("#r", "s\(number)-b\(batch)-\($0)") }) { results.append($0) }
            }
        }
        #expect(probes[0].run(for: .seconds(30)) { results.count == 30 })
        var stored: [HistoryEntry] = []
        for result in results {
            switch result {
            case .success(let entries):
                #expect(zip(entries, entries.dropFirst()).allSatisfy { $0.id < $1.id }, "ids \(entries.map(\.id))")
                stored += entries
            case .failure(let error): Issue.record("a batch failed: \(error)")
            }
        }
        stored.sort { $0.id < $1.id }
        #expect(stored.count == 600 && Set(stored.map(\.id)).count == 600)
        let middle = stored[300]
        for (probe, store) in zip(probes, stores) {
            #expect(try probe.read(store, .room("#r"), .latest, limit: 1000) == stored)
            #expect(try probe.read(store, .room("#r"), .latest, limit: 7) == Array(stored[593...]))
            #expect(try probe.read(store, .room("#r"), .before(stored[0].id), limit: 10).isEmpty)
            #expect(try probe.read(store, .room("#r"), .before(stored[1].id), limit: 10) == [stored[0]])
            #expect(try probe.read(store, .room("#r"), .before(middle.id), limit: 5) == Array(stored[295..<300]))
            #expect(try probe.read(store, .room("#r"), .after(middle.id), limit: 5) == Array(stored[301..<306]))
            #expect(try probe.read(store, .room("#r"), .after(stored[599].id), limit: 5).isEmpty)
        }
        var pagedBack: [HistoryEntry] = []
        var page = try probes[2].read(stores[2], .room("#r"), .latest, limit: 64)
        while let oldest = page.first {
            pagedBack = page + pagedBack
            page = try probes[2].read(stores[2], .room("#r"), .before(oldest.id), limit: 64)
        }
        #expect(pagedBack == stored)
    }

    @Test func aBatchInFlightSurvivesTheKillOfItsServerWithNothingStoredTwice() throws {
        let cluster = try NATSTestCluster.three()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let urls = cluster.nodes.map(\.url)
        let writer = try ClusterProbe(urls: urls, loop: loop)  // on the first server: the one we kill
        let reader = try ClusterProbe(urls: [urls[1], urls[2]], loop: loop)
        defer {
            reader.client.close()
            writer.finish()
        }
        #expect(writer.client.currentServer?.port == cluster.nodes[0].port)
        try writer.waitForJetStream(replicas: 3)
        let store = try writer.openStore(replicas: 3) { $0.callDeadline = .seconds(10) }
        let before = try writer.fill(store, "#r", count: 10, prefix: "before")
        var result: Result<[HistoryEntry], HistoryError>?
        // Two rooms taking turns: 200 stream messages of one entry each.
        store.append((0..<200).map { roomMessage($0 % 2 == 0 ? "#r" : "#s", "m\($0)") }) { result = $0 }
        cluster.nodes[0].kill()  // before the loop sends them: every message must be published again
        #expect(writer.run(for: .seconds(30)) { result != nil })
        let stored: [HistoryEntry]
        switch result {
        case .success(let entries)?: stored = entries
        default:
            Issue.record("the batch failed: \(String(describing: result)) (\(writer.events))")
            return
        }
        #expect(writer.reconnects >= 1)
        #expect(texts(stored) == (0..<200).map { "m\($0)" })
        #expect(zip(stored, stored.dropFirst()).allSatisfy { $0.id < $1.id })
        let readerStore = try reader.openStore(replicas: 3)
        #expect(try reader.readAfterFailover(readerStore, .room("#r"), .latest, limit: 1000) == before + stored.filter { $0.scope == .room("#r") })
        #expect(try reader.read(readerStore, .room("#s"), .latest, limit: 1000) == stored.filter { $0.scope == .room("#s") })
        let info = reader.complete { reader.jetStream.streamInfo(readerStore.subjects.historyStream, completion: $0) }
        #expect((try? info?.get())?.state.messages == 201, "the stream holds \(String(describing: try? info?.get().state.messages)) messages")
    }

    @Test func aRepublishedMessageCountsAsStoredWithItsOriginalSequence() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let entries = [roomMessage("#r", "once"), roomMessage("#r", "twice")]
        let nextID = "\(store.messageIDPrefix)-\(store.nextMessageNumber)"
        let first = probe.complete {  // the batch's one message, as a first round whose acknowledgement was lost
            probe.jetStream.publish(store.subjects.historySubject(entries[0].scope), payload: try! HistoryEntryCodec.encode(entries[...]),
                                    messageID: nextID, completion: $0)
        }
        let original = try #require(try first?.get())
        let stored = try probe.append(store, entries + [roomMessage("#other", "new")])
        #expect(stored.map(\.id).prefix(2) == [HistoryPosition.batchID(sequence: original.sequence, index: 0),
                                                HistoryPosition.batchID(sequence: original.sequence, index: 1)])
        #expect(stored[2].id == HistoryPosition.batchID(sequence: original.sequence + 1, index: 0))
        let info = probe.complete { probe.jetStream.streamInfo(store.subjects.historyStream, completion: $0) }
        #expect((try? info?.get())?.state.messages == 2, "the re-published message is stored once")
        #expect(try probe.read(store, .room("#r"), .latest, limit: 10) == Array(stored.prefix(2)))
    }
}
