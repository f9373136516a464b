// HistoryBatchTests: batches of entries stored as one stream message per run
// of one scope, on a real nats-server: a mixed batch gives one message per
// run and strictly increasing ids from the sequences; long runs split at 1024
// entries, at the payload limit and below a small max_payload of the server; pages are exact at message edges and
// inside a message (LATEST, BEFORE, AFTER, a limit smaller than a message,
// limit 1, an empty room) and paging back and catching up visit every entry
// once; catching up pulls few stream messages when each holds many (and
// still pages a room of one entry per message); a room mixing single-entry
// messages of earlier versions (published
// raw) with batches reads, pages and feeds with the right ids; a room feed
// hands every entry once, in order, across a consumer replacement; a batch
// failing part-way names every entry of the messages that were stored.
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

extension ClusterProbe {
    /// The number of messages in the store's stream.
    func streamMessages(_ store: JetStreamHistoryStore) -> UInt64? {
        let info = complete { jetStream.streamInfo(store.subjects.historyStream, completion: $0) }
        return try? info?.get().state.messages
    }

    /// Publishes `payload` raw on `scope`'s subject (as another node, or an earlier version, would).
    func publishRaw(_ store: JetStreamHistoryStore, _ scope: HistoryScope, _ payload: String) throws -> UInt64 {
        let stored = complete { jetStream.publish(store.subjects.historySubject(scope), payload: Array(payload.utf8), completion: $0) }
        return try #require(try stored?.get()).sequence
    }
}

@Suite(.serialized) struct HistoryBatchTests {
    @Test func aMixedBatchIsOneMessagePerRunWithIncreasingIDs() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let forty = try probe.append(store, (0..<40).map { roomMessage("#bench", "b\($0)") })
        #expect(probe.streamMessages(store) == 1, "40 messages of one room are one stream message")
        #expect(forty.map(\.id) == (0..<40).map { HistoryPosition.batchID(sequence: 1, index: $0)! })
        let conversation = HistoryScope.between("alice", "bob")
        let mixed = try probe.append(store, [roomMessage("#a", "a1"), roomMessage("#a", "a2"), roomMessage("#b", "b1"),
                                             roomMessage("#a", "a3"),
                                             HistoryEntry(time: 1, scope: conversation, sender: "alice", recipient: "bob", trust: .cert, text: "p"),
                                             roomMessage("#a", "a4")])
        #expect(probe.streamMessages(store) == 6, "runs [a1 a2] [b1] [a3] [p] [a4]")
        let positions = mixed.map { HistoryPosition(id: $0.id).map { [Int($0.sequence), $0.index] } ?? [] }
        #expect(positions == [[2, 0], [2, 1], [3, 0], [4, 0], [5, 0], [6, 0]])
        let ids = (forty + mixed).map(\.id)
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 }, "ids \(ids)")
        #expect(try probe.read(store, .room("#a"), .latest, limit: 10) == [mixed[0], mixed[1], mixed[3], mixed[5]])
        #expect(try probe.read(store, conversation, .latest, limit: 10) == [mixed[4]])
    }

    @Test func longRunsSplitAt1024EntriesAndAtThePayloadLimit() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore { $0.maximumBatchBytes = 4096 }
        let many = try probe.append(store, (0..<2500).map { roomMessage("#a", "m\($0)") })
        let sequences = many.map { HistoryPosition(id: $0.id)!.sequence }
        #expect(Set(sequences).count > 20, "about 43 bytes an entry under a 4 KiB limit: \(Set(sequences).count) messages")
        let large = String(repeating: "x", count: 1500)
        let big = try probe.append(store, (0..<6).map { roomMessage("#b", "\($0)\(large)") })
        let bigSequences = Set(big.map { HistoryPosition(id: $0.id)!.sequence })
        #expect(bigSequences.count == 3, "1.5 KB entries under a 4 KiB limit go two to a message")
        let huge = try probe.append(store, [roomMessage("#c", String(repeating: "y", count: 10_000))])
        #expect(huge.count == 1, "an entry above the limit is a message of its own")
        #expect(try probe.read(store, .room("#a"), .latest, limit: 1000) == Array(many.suffix(1000)))
        #expect(try probe.read(store, .room("#b"), .latest, limit: 10) == big)

        let plain = try probe.openStore(cluster: "plain")
        let split = try probe.append(plain, (0..<2500).map { roomMessage("#a", "m\($0)") })
        let splitSequences = split.map { HistoryPosition(id: $0.id)!.sequence }
        #expect(Set(splitSequences).count == 3 && splitSequences.filter { $0 == splitSequences[0] }.count == 1024)
        #expect(split.last.map { HistoryPosition(id: $0.id)!.index } == 2500 - 2048 - 1)
    }

    @Test func aSmallMaxPayloadOfTheServerCutsTheRunsBelowIt() throws {
        let cluster = try NATSTestCluster.single(configuration: "max_payload: 8192")
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        #expect(probe.client.serverInfo?.maximumPayload == 8192)
        let store = try probe.openStore()
        let text = String(repeating: "t", count: 500)
        let stored = try probe.append(store, (0..<100).map { roomMessage("#a", "\($0)\(text)") })  // about 54 KB in all
        #expect(Set(stored.map { HistoryPosition(id: $0.id)!.sequence }).count >= 7, "runs of at most 7 KiB")
        #expect(try probe.read(store, .room("#a"), .latest, limit: 100) == stored)
    }

    @Test func pagesAreExactAtMessageEdgesAndInsideAMessage() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        var r: [HistoryEntry] = []
        for round in 0..<3 {  // #r in three messages of five entries, each after a message of #other
            _ = try probe.fill(store, "#other", count: 3, prefix: "o\(round)-")
            r += try probe.append(store, (0..<5).map { roomMessage("#r", "r\(round * 5 + $0)") })
        }
        let room = HistoryScope.room("#r")
        func read(_ range: HistoryRange, _ limit: Int) throws -> [HistoryEntry] { try probe.read(store, room, range, limit: limit) }
        #expect(try read(.latest, 1) == [r[14]])
        #expect(try read(.latest, 3) == Array(r[12...]), "a limit smaller than one message")
        #expect(try read(.latest, 7) == Array(r[8...]), "across a message edge")
        #expect(try read(.latest, 100) == r)
        #expect(try read(.before(r[10].id), 3) == Array(r[7..<10]), "before the first entry of a message")
        #expect(try read(.before(r[12].id), 1) == [r[11]], "before an entry inside a message")
        #expect(try read(.before(r[12].id), 5) == Array(r[7..<12]))
        #expect(try read(.before(r[5].id), 5) == Array(r[0..<5]))
        #expect(try read(.before(r[0].id), 10).isEmpty)
        #expect(try read(.before(r[1].id), 10) == [r[0]])
        #expect(try read(.after(r[4].id), 2) == Array(r[5..<7]), "after the last entry of a message")
        #expect(try read(.after(r[4].id), 1) == [r[5]])
        #expect(try read(.after(r[6].id), 4) == Array(r[7..<11]), "after an entry inside a message")
        #expect(try read(.after(r[13].id), 1) == [r[14]])
        #expect(try read(.after(r[14].id), 5).isEmpty)
        #expect(try read(.after(0), 100) == r)
        #expect(try read(.after(-5), 2) == Array(r[0..<2]))
        #expect(try read(.before(0), 5).isEmpty)
        for limit in [1, 2, 4, 6] {  // paging back and catching up, as the core does (limit + 1 to see "more")
            var back: [HistoryEntry] = []
            var page = try read(.latest, limit)
            while let oldest = page.first {
                back = page + back
                page = try read(.before(oldest.id), limit)
            }
            #expect(back == r, "paging back by \(limit)")
            var forward: [HistoryEntry] = []
            var last: Int64 = 0
            while case let next = try read(.after(last), limit), !next.isEmpty {
                forward += next
                last = next.last!.id
            }
            #expect(forward == r, "catching up by \(limit)")
        }
        let empty = HistoryScope.room("#empty")
        #expect(try probe.read(store, empty, .latest, limit: 10).isEmpty)
        #expect(try probe.read(store, empty, .before(r[7].id), limit: 10).isEmpty)
        #expect(try probe.read(store, empty, .after(r[7].id), limit: 10).isEmpty)
        #expect(try probe.read(store, empty, .after(0), limit: 10).isEmpty)
    }

    @Test func catchingUpPullsFewMessagesWhenEachHoldsMany() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        var dense: [HistoryEntry] = []
        for round in 0..<20 { dense += try probe.append(store, (0..<100).map { roomMessage("#dense", "d\(round)-\($0)") }) }
        var sparse: [HistoryEntry] = []
        for round in 0..<300 { sparse += try probe.append(store, [roomMessage("#sparse", "s\(round)")]) }
        store.readMessagesRequested = 0
        #expect(try probe.read(store, .room("#dense"), .after(dense[150].id), limit: 300) == Array(dense[151..<451]))
        #expect(store.readMessagesRequested <= 16, "\(store.readMessagesRequested) messages pulled for 4 needed")
        store.readMessagesRequested = 0
        #expect(try probe.read(store, .room("#sparse"), .after(sparse[10].id), limit: 250) == Array(sparse[11..<261]))
        #expect(store.readMessagesRequested <= 2 * 251, "\(store.readMessagesRequested) messages pulled for 250")
        #expect(try probe.read(store, .room("#sparse"), .after(sparse[290].id), limit: 250) == Array(sparse[291...]))
        #expect(try probe.read(store, .room("#dense"), .after(dense[1990].id), limit: 300) == Array(dense[1991...]))
    }

    @Test func aRoomMixingMessagesOfEarlierVersionsAndBatchesReadsPagesAndFeeds() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let room = HistoryScope.room("#r")
        let feeds = JetStreamRoomFeeds(store: store)
        var delivered: [(UInt64, [HistoryEntry])] = []
        let subscription = feeds.follow(room: "#r", after: 0) { delivered.append(($0, $1.historyEntries())) }  // from now on
        defer { subscription.stop() }
        #expect(probe.run { (subscription as? JetStreamRoomFeeds.Subscription)?.feed.consumerName != nil })
        var old: [HistoryEntry] = []
        for index in 0..<3 {  // written before the upgrade: one entry each, id = sequence
            let sequence = try probe.publishRaw(store, room, "c1 \(index) cert alice -\nold\(index)")
            old.append(HistoryEntry(id: Int64(sequence), time: Int64(index), scope: room, sender: "alice", trust: .cert, text: "old\(index)"))
            _ = try probe.publishRaw(store, .room("#other"), "c1 9 cert bob -\nnoise")
        }
        let new = try probe.append(store, (0..<4).map { roomMessage("#r", "new\($0)") })
        let all = old + new
        #expect(new.allSatisfy { $0.id > old.last!.id })
        #expect(try probe.read(store, room, .latest, limit: 100) == all)
        #expect(try probe.read(store, room, .latest, limit: 5) == Array(all[2...]))
        #expect(try probe.read(store, room, .before(new[0].id), limit: 2) == Array(old[1...]))
        #expect(try probe.read(store, room, .before(new[2].id), limit: 3) == [old[2], new[0], new[1]])
        #expect(try probe.read(store, room, .before(old[2].id), limit: 5) == Array(old[..<2]))
        #expect(try probe.read(store, room, .after(old[1].id), limit: 3) == [old[2], new[0], new[1]])
        #expect(try probe.read(store, room, .after(old[2].id), limit: 10) == new)

        #expect(probe.run { delivered.flatMap(\.1).count == all.count })
        #expect(delivered.flatMap(\.1) == untimed(all))
        #expect(delivered.map(\.0) == old.map { UInt64($0.id) } + [HistoryPosition(id: new[0].id)!.sequence])
    }

    @Test func aRoomFeedHandsEveryEntryOnceInOrderAcrossAConsumerReplacement() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let feeds = JetStreamRoomFeeds(store: store)
        var sequences: [UInt64] = []
        var entries: [HistoryEntry] = []
        let subscription = feeds.follow(room: "#r", after: 0) { sequence, batch in
            sequences.append(sequence)
            entries += batch.historyEntries()
        }
        defer { subscription.stop() }
        let feed = try #require((subscription as? JetStreamRoomFeeds.Subscription)?.feed)
        #expect(probe.run { feed.consumerName != nil })
        var stored = try probe.append(store, (0..<5).map { roomMessage("#r", "a\($0)") })
        #expect(probe.run { entries.count == 5 })
        feed.testDropsNextMessages = 1  // the next message (three entries) is lost: the one after shows the gap
        stored += try probe.append(store, (0..<3).map { roomMessage("#r", "b\($0)") })
        stored += try probe.append(store, [roomMessage("#x", "elsewhere")] + (0..<4).map { roomMessage("#r", "c\($0)") })
        #expect(probe.run { entries.count == 12 })
        #expect(feed.replacements == 1)
        #expect(entries == untimed(stored.filter { $0.scope == .room("#r") }))
        #expect(sequences == sequences.sorted() && Set(sequences).count == 3)
    }

    @Test func aBatchFailingPartWayNamesEveryEntryOfTheStoredMessages() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        try probe.limitMessageSize(store, to: 2000)
        var result: Result<[HistoryEntry], HistoryError>?
        let small = (0..<3).map { roomMessage("#a", "a\($0)") }
        store.append(small + [roomMessage("#b", String(repeating: "z", count: 3000)), roomMessage("#c", "after")]) { result = $0 }
        #expect(probe.run { result != nil })
        guard case .failure(let error)? = result else {
            Issue.record("expected a failure, got \(String(describing: result))")
            return
        }
        let stored = try probe.read(store, .room("#a"), .latest, limit: 10)
        #expect(texts(stored) == ["a0", "a1", "a2"])
        #expect(error.storedIDs == [0: stored[0].id, 1: stored[1].id, 2: stored[2].id], "\(error) \(error.storedIDs)")
    }
}

extension ClusterProbe {
    /// Sets the stream's max_msg_size (the store does not), so a large message is refused by JetStream.
    func limitMessageSize(_ store: JetStreamHistoryStore, to bytes: Int) throws {
        let stream = store.subjects.historyStream
        let info = complete { try? jetStream.client.request("$JS.API.STREAM.INFO.\(stream)", payload: [], completion: $0) }
        let body = try JSONSerialization.jsonObject(with: Data(try #require(try info?.get()).payload)) as? [String: Any]
        var config = try #require(body?["config"] as? [String: Any])
        config["max_msg_size"] = bytes
        let update = try JSONSerialization.data(withJSONObject: config)
        let answer = complete { try? jetStream.client.request("$JS.API.STREAM.UPDATE.\(stream)", payload: Array(update), completion: $0) }
        let reply = try JSONSerialization.jsonObject(with: Data(try #require(try answer?.get()).payload)) as? [String: Any]
        #expect(reply?["error"] == nil, "\(String(describing: reply))")
    }
}
