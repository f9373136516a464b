// PushConsumerTests: NATSClient's consumer API against a real nats-server
// 2.9: an ephemeral push consumer delivers only its filter subject, from the
// start asked for (all, new only, a stream sequence), with ack subjects whose
// sequences parse; it sends idle heartbeats; flow-control requests are
// answered so a burst larger than the server's window arrives in full;
// deleting it removes it and an unsubscribed one is removed by its
// inactivity threshold. Also next_by_subj reads and subject counts.
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct PushConsumerTests {
    /// A stream "S" on "s.>" with `count` messages alternating on s.a and s.b (a on odd sequences).
    private func stream(_ probe: ClusterProbe, count: Int) throws {
        let created = probe.complete { probe.jetStream.createOrUpdateStream(StreamConfiguration(name: "S", subjects: ["s.>"]), completion: $0) }
        _ = try #require(created).get()
        for index in 0..<count {
            let ack = probe.complete { probe.jetStream.publish(index % 2 == 0 ? "s.a" : "s.b", payload: Array("m\(index)".utf8), completion: $0) }
            _ = try #require(ack).get()
        }
    }

    /// Subscribes `subject` and records what arrives, classified.
    private func collect(_ probe: ClusterProbe, _ subject: String) throws -> () -> [PushDelivery] {
        final class Box { var items: [PushDelivery] = [] }
        let box = Box()
        try probe.client.subscribe(subject) { message in
            let delivery = PushDelivery.classify(message)
            if case .flowControl(let reply) = delivery { try? probe.client.publish(reply, payload: []) }
            box.items.append(delivery)
        }
        return { box.items }
    }

    private static func streamSequences(_ items: [PushDelivery]) -> [UInt64] {
        items.compactMap { if case .message(let metadata, _) = $0 { metadata.streamSequence } else { nil } }
    }

    @Test func deliversTheFilterSubjectFromTheStartAskedFor() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        try stream(probe, count: 6)

        let all = try collect(probe, "_INBOX.all")
        let info = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.all", filterSubject: "s.a"), completion: $0) }).get()
        #expect(info.stream == "S" && !info.name.isEmpty)
        #expect(probe.run { Self.streamSequences(all()).count == 3 })
        #expect(Self.streamSequences(all()) == [1, 3, 5])
        let consumerSequences = all().compactMap { if case .message(let m, _) = $0 { m.consumerSequence } else { nil } }
        #expect(consumerSequences == [1, 2, 3])

        let later = try collect(probe, "_INBOX.later")
        _ = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.later", filterSubject: "s.b", start: .sequence(4)), completion: $0) }).get()
        #expect(probe.run { Self.streamSequences(later()).count == 2 })
        #expect(Self.streamSequences(later()) == [4, 6])

        let fresh = try collect(probe, "_INBOX.new")
        let newInfo = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.new", filterSubject: "s.a", start: .new), completion: $0) }).get()
        #expect(newInfo.delivered.streamSequence == 6)
        _ = try #require(probe.complete { probe.jetStream.publish("s.a", payload: Array("late".utf8), completion: $0) }).get()
        #expect(probe.run { Self.streamSequences(fresh()).count == 1 })
        #expect(Self.streamSequences(fresh()) == [7])
    }

    @Test func heartbeatsArriveAndFlowControlLetsABurstThrough() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        _ = try #require(probe.complete { probe.jetStream.createOrUpdateStream(StreamConfiguration(name: "S", subjects: ["s.>"]), completion: $0) }).get()
        let big = [UInt8](repeating: 120, count: 64 * 1024)
        for _ in 0..<64 {  // 4 MiB: more than the server sends before it asks for flow control
            try probe.jetStream.client.publish("s.a", payload: big)
        }
        _ = try #require(probe.complete { probe.jetStream.publish("s.a", payload: [], completion: $0) }).get()
        let got = try collect(probe, "_INBOX.burst")
        _ = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.burst", filterSubject: "s.a", idleHeartbeat: .milliseconds(200)), completion: $0) }).get()
        #expect(probe.run { Self.streamSequences(got()).count == 65 })
        #expect(got().contains { if case .flowControl = $0 { true } else { false } })
        #expect(probe.run { got().contains { if case .heartbeat(65, 65, nil) = $0 { true } else { false } } })
    }

    @Test func deleteRemovesAConsumerAndInactivityRemovesAnAbandonedOne() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        try stream(probe, count: 1)
        let info = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.x"), completion: $0) }).get()
        _ = try #require(probe.complete { probe.jetStream.consumerInfo(stream: "S", consumer: info.name, completion: $0) }).get()
        _ = try #require(probe.complete { probe.jetStream.deleteConsumer(stream: "S", consumer: info.name, completion: $0) }).get()
        let gone = probe.complete { probe.jetStream.consumerInfo(stream: "S", consumer: info.name, completion: $0) }
        guard case .failure(.api(404, _, _))? = gone else {
            Issue.record("consumer still there after delete: \(String(describing: gone))")
            return
        }
        let abandoned = try #require(probe.complete { probe.jetStream.createConsumer(stream: "S", PushConsumerConfiguration(deliverSubject: "_INBOX.nobody", inactiveThreshold: .milliseconds(500)), completion: $0) }).get()
        let removed = probe.run(for: .seconds(10)) {
            guard case .failure(.api(404, _, _))? = probe.complete({ probe.jetStream.consumerInfo(stream: "S", consumer: abandoned.name, completion: $0) }) else { return false }
            return true
        }
        #expect(removed, "the server kept a consumer nobody listens to past its inactivity threshold")
    }

    @Test func nextBySubjectAndSubjectCounts() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        try stream(probe, count: 5)
        let next = try #require(probe.complete { probe.jetStream.nextMessage(stream: "S", subject: "s.b", atOrAfter: 3, completion: $0) }).get()
        #expect(next.sequence == 4 && next.subject == "s.b")
        let same = try #require(probe.complete { probe.jetStream.nextMessage(stream: "S", subject: "s.a", atOrAfter: 3, completion: $0) }).get()
        #expect(same.sequence == 3)
        let none = probe.complete { probe.jetStream.nextMessage(stream: "S", subject: "s.b", atOrAfter: 5, completion: $0) }
        guard case .failure(.api(_, JetStreamError.noMessageFound, _))? = none else {
            Issue.record("expected no message found, got \(String(describing: none))")
            return
        }
        let counts = try #require(probe.complete { probe.jetStream.subjects(stream: "S", matching: "s.>", completion: $0) }).get()
        #expect(counts == ["s.a": 3, "s.b": 2])
        let filtered = try #require(probe.complete { probe.jetStream.subjects(stream: "S", matching: "s.b", completion: $0) }).get()
        #expect(filtered == ["s.b": 2])
        let nothing = try #require(probe.complete { probe.jetStream.subjects(stream: "S", matching: "t.>", completion: $0) }).get()
        #expect(nothing.isEmpty)
    }
}
