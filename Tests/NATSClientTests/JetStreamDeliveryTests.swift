// JetStreamDeliveryTests: what a push consumer's deliver subject carries is
// read correctly: the sequences and time in both "$JS.ACK" layouts (v1 of
// nats-server 2.9, v2 with domain and account hash), malformed ack subjects
// refused, idle heartbeats (with their last sequences and stalled reply),
// flow-control requests and unknown statuses told apart, and the consumer
// configuration encoded with the fields the server expects.
import Foundation
@testable import NATSClient
import Testing

@Suite struct JetStreamDeliveryTests {
    @Test func v1AckSubjectGivesSequencesAndTime() throws {
        let metadata = try #require(DeliveryMetadata.parse(ackSubject: "$JS.ACK.ROOMS.c7Xz.1.42.7.1733470000123456789.3"))
        #expect(metadata == DeliveryMetadata(stream: "ROOMS", consumer: "c7Xz", deliveredCount: 1, streamSequence: 42,
                                             consumerSequence: 7, timestampNanoseconds: 1_733_470_000_123_456_789, pending: 3))
    }

    @Test func v2AckSubjectWithDomainAndAccountHash() throws {
        let metadata = try #require(DeliveryMetadata.parse(ackSubject: "$JS.ACK.hub.ACCHASH.ROOMS.feed.2.900.31.1733470000000000000.0.rNd"))
        #expect(metadata.stream == "ROOMS" && metadata.consumer == "feed")
        #expect(metadata.deliveredCount == 2 && metadata.streamSequence == 900 && metadata.consumerSequence == 31 && metadata.pending == 0)
    }

    @Test func malformedAckSubjectsAreRefused() {
        for subject in ["$JS.ACK.ROOMS.c.1.x.7.1.3", "$JS.ACK.ROOMS.c.1.2.3.4", "_INBOX.a.b.c.d.e.f.g.h",
                        "$JS.ACK.ROOMS.c.1.2.3.4.5.6", "$JS.ACK..c.1.2.3.4.5", "$JS.ACK.ROOMS.c.1.2.-3.4.5"] {
            #expect(DeliveryMetadata.parse(ackSubject: subject) == nil, "\(subject)")
        }
    }

    @Test func heartbeatsFlowControlAndOtherStatusesAreToldApart() throws {
        var heartbeat = NATSHeaders([("Nats-Last-Consumer", "12"), ("Nats-Last-Stream", "40"), ("Nats-Consumer-Stalled", "$JS.FC.X.y.z")])
        heartbeat.status = 100
        heartbeat.statusDescription = "Idle Heartbeat"
        #expect(PushDelivery.classify(NATSMessage(subject: "_INBOX.f", sid: 1, headers: heartbeat, payload: []))
            == .heartbeat(lastConsumerSequence: 12, lastStreamSequence: 40, stalledReply: "$JS.FC.X.y.z"))

        var flow = NATSHeaders()
        flow.status = 100
        flow.statusDescription = "FlowControl Request"
        #expect(PushDelivery.classify(NATSMessage(subject: "_INBOX.f", sid: 1, replyTo: "$JS.FC.ROOMS.a.b", headers: flow, payload: []))
            == .flowControl(reply: "$JS.FC.ROOMS.a.b"))

        var gone = NATSHeaders()
        gone.status = 409
        gone.statusDescription = "Consumer Deleted"
        guard case .unexpected(let why) = PushDelivery.classify(NATSMessage(subject: "_INBOX.f", sid: 1, headers: gone, payload: [])) else {
            Issue.record("a 409 was not reported as unexpected")
            return
        }
        #expect(why.contains("409"))

        let data = NATSMessage(subject: "rooms.a", sid: 1, replyTo: "$JS.ACK.ROOMS.c.1.5.2.1.0", payload: Array("hi".utf8))
        guard case .message(let metadata, let message) = PushDelivery.classify(data) else {
            Issue.record("a stored message was not classified as one")
            return
        }
        #expect(metadata.streamSequence == 5 && message.payload == Array("hi".utf8))
        #expect(PushDelivery.classify(NATSMessage(subject: "rooms.a", sid: 1, payload: [])) != .heartbeat(lastConsumerSequence: nil, lastStreamSequence: nil, stalledReply: nil))
    }

    @Test func consumerConfigurationEncodesWhatTheServerExpects() throws {
        let configuration = PushConsumerConfiguration(deliverSubject: "_INBOX.feed", filterSubject: "rooms.a", start: .sequence(17),
                                                      idleHeartbeat: .seconds(2), inactiveThreshold: .seconds(30))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(JetStream.encode(configuration))) as? [String: Any])
        #expect(object["deliver_policy"] as? String == "by_start_sequence")
        #expect(object["opt_start_seq"] as? Int == 17)
        #expect(object["ack_policy"] as? String == "none")
        #expect(object["filter_subject"] as? String == "rooms.a")
        #expect(object["deliver_subject"] as? String == "_INBOX.feed")
        #expect(object["idle_heartbeat"] as? Int == 2_000_000_000)
        #expect(object["inactive_threshold"] as? Int == 30_000_000_000)
        #expect(object["flow_control"] as? Bool == true)
        let newOnly = PushConsumerConfiguration(deliverSubject: "_INBOX.f", start: .new)
        let encoded = String(decoding: JetStream.encode(newOnly), as: UTF8.self)
        #expect(encoded.contains(#""deliver_policy":"new""#) && !encoded.contains("opt_start_seq") && !encoded.contains("filter_subject"))
    }
}
