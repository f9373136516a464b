// PublishAcknowledgementTests: the acknowledgement a real nats-server 2.9
// sends for a publish, and for a duplicate of it, is read by the compact
// reader exactly as JSONDecoder reads it (the node takes that shortcut for
// every stored batch); over a corpus of other forms and every cut and byte
// change of them, the compact reader either agrees with JSONDecoder or
// declines (nil), so the caller's fallback decides: it never gives a
// different answer, and never reads an error reply as an acknowledgement
// (the changed bytes come from a seeded generator, so a failure repeats).
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite(.serialized) struct PublishAcknowledgementTests {
    /// What the JetStream client would answer for `payload` without the shortcut.
    static func decoded(_ payload: [UInt8]) -> PublishAcknowledgement? {
        let message = NATSMessage(subject: "_INBOX.x", sid: 1, payload: payload)
        let result: Result<PublishAcknowledgement, JetStreamError> = JetStream.decodeReply(.success(message))
        return try? result.get()
    }

    static func expectAgreement(_ payload: [UInt8], _ comment: Comment? = nil) {
        guard let compact = PublishAcknowledgement.compact(payload) else { return }  // declined: the fallback decides
        #expect(decoded(payload) == compact, comment)
    }

    @Test func aRealServersAcknowledgementsAreReadByTheShortcutAsJSONDecoderReadsThem() throws {
        let cluster = try NATSTestCluster.single()
        defer { cluster.finish() }
        let probe = try ClusterProbe(urls: cluster.urls)
        defer { probe.finish() }
        let created = probe.complete { probe.jetStream.createOrUpdateStream(StreamConfiguration(name: "ACK", subjects: ["ack.>"]), completion: $0) }
        _ = try #require(created).get()
        var replies: [[UInt8]] = []
        for _ in 0..<2 {  // the second publish of the same id is a duplicate
            let reply = probe.complete { done in
                try? probe.client.request("ack.a", payload: Array("m".utf8), headers: NATSHeaders([("Nats-Msg-Id", "id-1")]),
                                          timeout: .seconds(5)) { done($0) }
            }
            replies.append(try #require(reply).get().payload)
        }
        let first = try #require(PublishAcknowledgement.compact(replies[0]), "\(String(decoding: replies[0], as: UTF8.self))")
        let again = try #require(PublishAcknowledgement.compact(replies[1]), "\(String(decoding: replies[1], as: UTF8.self))")
        #expect(first == PublishAcknowledgement(stream: "ACK", sequence: 1, duplicate: false))
        #expect(again == PublishAcknowledgement(stream: "ACK", sequence: 1, duplicate: true))
        #expect(Self.decoded(replies[0]) == first && Self.decoded(replies[1]) == again)
        let published = probe.complete { probe.jetStream.publish("ack.b", payload: [1], completion: $0) }
        #expect(try #require(published).get() == PublishAcknowledgement(stream: "ACK", sequence: 2, duplicate: false))
    }

    @Test func otherFormsCutsAndChangedBytesAgreeWithJSONDecoderOrAreDeclined() {
        let corpus = [#"{"stream":"S","seq":7}"#, #"{"stream":"S", "seq":7,"duplicate": true}"#, #"{ "seq" : 18446744073709551615 , "stream" : "S" }"#,
                      #"{"stream":"S","domain":"hub","seq":3,"duplicate":false}"#, "{\"stream\":\"S\",\n\t\"seq\":1}\r\n",
                      #"{"error":{"code":503,"err_code":10077,"description":"no suitable peers"}}"#, #"{"stream":"S","seq":7,"error":{"code":1}}"#,
                      #"{"stream":"S\"x","seq":7}"#, #"{"stream":"S","seq":18446744073709551616}"#, #"{"stream":"S","seq":-1}"#,
                      #"{"stream":"S","seq":1.5}"#, #"{"stream":"S","seq":1e3}"#, #"{"stream":"S","seq":07}"#, #"{"stream":"S","stream":"T","seq":1}"#,
                      #"{"stream":"S","seq":1,"duplicate":null}"#, #"{"stream":"S","seq":1}x"#, #"{"seq":1}"#, #"{"stream":"S"}"#, "{}", "",
                      #"{"stream":"Ström","seq":2}"#, #"{"stream":"S","seq":1,"duplicate":truex}"#, #"{"stream":"S","seq":1,}"#]
        var generator = SeededBytes(seed: 0x5EED_AC4)
        for text in corpus {
            let payload = Array(text.utf8)
            Self.expectAgreement(payload, "\(text)")
            for end in 0..<payload.count { Self.expectAgreement(Array(payload[..<end]), "\(text) cut at \(end)") }
            for index in payload.indices {
                var changed = payload
                changed[index] = generator.next()
                Self.expectAgreement(changed, "\(text) byte \(index) -> \(changed[index])")
            }
        }
        #expect(PublishAcknowledgement.compact(Array(#"{"stream":"S", "seq":7,"duplicate": true}"#.utf8))
                == PublishAcknowledgement(stream: "S", sequence: 7, duplicate: true))
        #expect(PublishAcknowledgement.compact(Array(#"{"error":{"code":503}}"#.utf8)) == nil)
    }
}

/// Seeded bytes (SplitMix64), so a failure repeats with the same input.
private struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt8 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
}
