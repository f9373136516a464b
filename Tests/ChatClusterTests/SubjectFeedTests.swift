// SubjectFeedTests: SubjectFeed against a real nats-server: two feeds on two
// connections see the messages two other connections published into one
// room in the same order, each once; a feed starts after a given sequence or
// with new messages only; a lost message (a consumer sequence gap, seen at
// the next message or only at the next heartbeat) and a consumer that went
// away (no heartbeats) are repaired by a new consumer from the last delivered
// sequence + 1; a burst larger than the server's flow-control window arrives
// in full (the feed answers flow control); stop() deletes the consumer.
// Entries are stored one per stream message here (the feed is about
// stream messages; batches: HistoryBatchTests).
@testable import ChatCluster
import ChatCore
import ChatNet
import Foundation
@testable import NATSClient
import Testing

/// What one feed handed out, and what it reported.
final class FeedRecord {
    var sequences: [UInt64] = []
    var texts: [String] = []
    var events: [SubjectFeed.Event] = []
    var consumingCount: Int { events.filter { if case .consuming = $0 { true } else { false } }.count }
}

extension ClusterProbe {
    func feed(_ store: JetStreamHistoryStore, room: String, start: SubjectFeed.Start, record: FeedRecord,
              heartbeat: Duration = .milliseconds(200)) -> SubjectFeed {
        var options = SubjectFeed.Options()
        options.idleHeartbeat = heartbeat
        options.missedHeartbeats = 3
        let scope = HistoryScope.room(room)
        let feed = SubjectFeed(jetStream: jetStream, stream: store.subjects.historyStream,
                               subject: store.subjects.historySubject(scope), start: start, options: options) { sequence, message in
            record.sequences.append(sequence)
            record.texts += (try? HistoryEntryCodec.decode(message.payload, scope: scope, sequence: sequence).entries.map(\.text)) ?? ["?"]
        }
        feed.onEvent = { record.events.append($0) }
        feed.start()
        return feed
    }
}

extension ClusterProbe {
    /// `fill`, one stream message per entry (these tests are about stream messages).
    func fillSingly(_ store: JetStreamHistoryStore, _ room: String, count: Int, prefix: String = "m") throws -> [HistoryEntry] {
        try (0..<count).flatMap { try append(store, [roomMessage(room, "\(prefix)\($0)")]) }
    }
}

/// The stream sequence of the message holding `entry`.
func sequence(of entry: HistoryEntry) -> UInt64 { HistoryPosition(id: entry.id)!.sequence }

@Suite(.serialized) struct SubjectFeedTests {
    @Test func twoFeedsSeeTwoWritersInTheSameOrderEachOnce() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let loop = try EventLoop()
        let probes = try (0..<4).map { _ in try ClusterProbe(urls: cluster.urls, loop: loop) }
        defer {
            for probe in probes.dropFirst() { probe.client.close() }
            probes[0].finish()
        }
        let writers = try [probes[0].openStore(), probes[1].openStore()]
        let readers = try [probes[2].openStore(), probes[3].openStore()]
        let records = [FeedRecord(), FeedRecord()]
        let feeds = [probes[2].feed(readers[0], room: "#r", start: .after(0), record: records[0]),
                     probes[3].feed(readers[1], room: "#r", start: .after(0), record: records[1])]
        var acknowledged: [HistoryEntry] = []
        var pending = 0
        for round in 0..<25 {
            for (index, writer) in writers.enumerated() {
                pending += 1
                writer.append([roomMessage("#r", "w\(index)-\(round)"), roomMessage("#other", "x")]) { result in
                    pending -= 1
                    if case .success(let stored) = result { acknowledged += stored.filter { $0.scope == .room("#r") } }
                }
            }
            #expect(probes[0].run { pending == 0 })
        }
        #expect(acknowledged.count == 50)
        let order = acknowledged.sorted { $0.id < $1.id }
        #expect(probes[0].run { records.allSatisfy { $0.sequences.count >= 50 } })
        for record in records {
            #expect(record.sequences == order.map { sequence(of: $0) })
            #expect(record.texts == order.map(\.text))
        }
        for feed in feeds { feed.stop() }
    }

    @Test func aFeedStartsAfterASequenceOrWithNewMessagesOnly() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let old = try probe.fillSingly(store, "#r", count: 4)
        let after = FeedRecord(), fresh = FeedRecord()
        let afterFeed = probe.feed(store, room: "#r", start: .after(sequence(of: old[1])), record: after)
        let freshFeed = probe.feed(store, room: "#r", start: .newOnly, record: fresh)
        #expect(probe.run { fresh.consumingCount == 1 && after.sequences.count == 2 })
        let new = try probe.fillSingly(store, "#r", count: 2, prefix: "n")
        #expect(probe.run { fresh.sequences.count == 2 && after.sequences.count == 4 })
        #expect(after.texts == ["m2", "m3", "n0", "n1"])
        #expect(fresh.sequences == new.map { sequence(of: $0) })
        afterFeed.stop()
        freshFeed.stop()
    }

    @Test func aLostMessageIsDeliveredAgainByANewConsumer() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let record = FeedRecord()
        let feed = probe.feed(store, room: "#r", start: .after(0), record: record)
        #expect(probe.run { record.consumingCount == 1 })
        _ = try probe.fillSingly(store, "#r", count: 2)
        #expect(probe.run { record.sequences.count == 2 })
        feed.testDropsNextMessages = 1  // m2 is lost: m3 shows the gap
        let more = try probe.fillSingly(store, "#r", count: 3, prefix: "n")
        #expect(probe.run { record.sequences.count == 5 })
        #expect(record.texts == ["m0", "m1", "n0", "n1", "n2"])
        #expect(feed.replacements == 1)
        feed.testDropsNextMessages = 1  // the last message is lost: only the next heartbeat shows it
        _ = try probe.fillSingly(store, "#r", count: 1, prefix: "z")
        #expect(probe.run { record.sequences.count == 6 })
        #expect(record.texts.last == "z0" && feed.replacements == 2)
        #expect(Set(record.sequences).count == record.sequences.count && record.sequences == record.sequences.sorted())
        #expect(record.sequences[2...4] == ArraySlice(more.map { sequence(of: $0) }))
        feed.stop()
    }

    @Test func aConsumerThatWentAwayIsReplacedAfterMissedHeartbeats() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let record = FeedRecord()
        let feed = probe.feed(store, room: "#r", start: .after(0), record: record)
        #expect(probe.run { feed.consumerName != nil })
        _ = try probe.fillSingly(store, "#r", count: 2)
        #expect(probe.run { record.sequences.count == 2 })
        let name = try #require(feed.consumerName)
        _ = try #require(probe.complete { probe.jetStream.deleteConsumer(stream: store.subjects.historyStream, consumer: name, completion: $0) }).get()
        _ = try probe.fillSingly(store, "#r", count: 2, prefix: "n")  // stored while nobody consumes
        #expect(probe.run { record.sequences.count == 4 })
        #expect(record.texts == ["m0", "m1", "n0", "n1"])
        #expect(record.events.contains { if case .replacing(let why) = $0 { why.hasPrefix("stalled") } else { false } })
        #expect(feed.consumerName != name)
        feed.stop()
    }

    @Test func aBurstPastTheFlowControlWindowArrivesInFull() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore(storage: .memory) {
            $0.maximumBatchBytes = 1  // one message per entry
            $0.callDeadline = .seconds(30)  // 4.8 MB through JetStream: slow in a sanitizer build, and not what this tests
        }
        let text = String(repeating: "x", count: 60_000)
        let stored = try probe.append(store, (0..<80).map { roomMessage("#r", "\($0)" + text) })  // about 4.8 MB
        let record = FeedRecord()
        let feed = probe.feed(store, room: "#r", start: .after(0), record: record, heartbeat: .seconds(60))
        #expect(probe.run { record.sequences.count == 80 })
        #expect(record.sequences == stored.map { sequence(of: $0) })
        #expect(feed.replacements == 0)
        feed.stop()
    }

    @Test func stopDeletesTheConsumer() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let store = try probe.openStore()
        let record = FeedRecord()
        let feed = probe.feed(store, room: "#r", start: .after(0), record: record)
        #expect(probe.run { feed.consumerName != nil })
        let name = try #require(feed.consumerName)
        _ = try #require(probe.complete { probe.jetStream.consumerInfo(stream: store.subjects.historyStream, consumer: name, completion: $0) }).get()
        let stopped = probe.complete { feed.stop(completion: $0) }
        #expect((try? stopped?.get()) != nil)
        let info = probe.complete { probe.jetStream.consumerInfo(stream: store.subjects.historyStream, consumer: name, completion: $0) }
        guard case .failure(.api(404, _, _))? = info else {
            Issue.record("the consumer is still there after stop(): \(String(describing: info))")
            return
        }
        _ = try probe.fillSingly(store, "#r", count: 1)
        #expect(!probe.run(for: .milliseconds(300)) { !record.sequences.isEmpty })
    }
}
