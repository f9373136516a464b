// JetStreamDelivery: what arrives on a push consumer's deliver subject. A
// stored message comes with a reply subject "$JS.ACK..." whose tokens carry
// the stream, the consumer, the delivery count, the stream sequence, the
// consumer sequence, the store time (ns since the epoch) and the pending
// count, in two layouts: v1 (9 tokens, nats-server 2.9) and v2 (12 or more:
// domain and account hash after "ACK", a random token at the end). The
// server's own messages have no payload and a status 100 header: an idle
// heartbeat (with the last consumer and stream sequences, and a reply subject
// to answer when it says the consumer is stalled) or a flow-control request
// (answered by publishing an empty message to its reply subject). Parsing
// only: the reader decides what to do.

/// The metadata of one delivered stream message, from its ack reply subject.
public struct DeliveryMetadata: Sendable, Equatable {
    public var stream: String
    public var consumer: String
    public var deliveredCount: UInt64
    public var streamSequence: UInt64
    public var consumerSequence: UInt64
    /// When the message was stored, nanoseconds since the Unix epoch.
    public var timestampNanoseconds: Int64
    public var pending: UInt64

    /// Parses a "$JS.ACK..." subject; nil when it is not one of the two known layouts.
    public static func parse(ackSubject: String) -> DeliveryMetadata? {
        // Over UTF-8 bytes: every delivered message of a feed has one of these subjects.
        let tokens = Array(ackSubject.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard tokens.count >= 9, tokens[0].elementsEqual("$JS".utf8), tokens[1].elementsEqual("ACK".utf8) else { return nil }
        let first: Int
        switch tokens.count {
        case 9: first = 2
        case 12...: first = 4
        default: return nil
        }
        func number(_ token: ArraySlice<UInt8>) -> UInt64? { DecimalDigits.value(token, maximumDigits: 20) }
        guard let delivered = number(tokens[first + 2]), let streamSequence = number(tokens[first + 3]),
              let consumerSequence = number(tokens[first + 4]), let rawTime = number(tokens[first + 5]),
              rawTime <= UInt64(Int64.max), let pending = number(tokens[first + 6]),
              !tokens[first].isEmpty, !tokens[first + 1].isEmpty else { return nil }
        let time = Int64(rawTime)
        return DeliveryMetadata(stream: String(decoding: tokens[first], as: UTF8.self),
                                consumer: String(decoding: tokens[first + 1], as: UTF8.self), deliveredCount: delivered,
                                streamSequence: streamSequence, consumerSequence: consumerSequence,
                                timestampNanoseconds: time, pending: pending)
    }
}

/// One message received on a push consumer's deliver subject.
public enum PushDelivery: Sendable, Equatable {
    /// A stored message and where it is in the stream and the consumer.
    case message(DeliveryMetadata, NATSMessage)
    /// An idle heartbeat: the last sequences the consumer delivered (nil when absent), and a
    /// subject to answer (an empty publish) when the server reports the consumer stalled.
    case heartbeat(lastConsumerSequence: UInt64?, lastStreamSequence: UInt64?, stalledReply: String?)
    /// A flow-control request: publish an empty message to `reply` to let the server go on.
    case flowControl(reply: String)
    /// Anything else (a status we do not know, a message without a valid ack subject); says what.
    case unexpected(String)

    public static func classify(_ message: NATSMessage) -> PushDelivery {
        if let headers = message.headers, let status = headers.status {
            guard status == 100, message.payload.isEmpty else {
                return .unexpected("status \(status) \(headers.statusDescription ?? "") on the deliver subject")
            }
            let description = (headers.statusDescription ?? "").lowercased()
            if description.contains("flowcontrol") || description.contains("flow control") {
                guard let reply = message.replyTo else { return .unexpected("a flow-control request without a reply subject") }
                return .flowControl(reply: reply)
            }
            return .heartbeat(lastConsumerSequence: headers["Nats-Last-Consumer"].flatMap { UInt64($0) },
                              lastStreamSequence: headers["Nats-Last-Stream"].flatMap { UInt64($0) },
                              stalledReply: headers["Nats-Consumer-Stalled"])
        }
        guard let reply = message.replyTo, let metadata = DeliveryMetadata.parse(ackSubject: reply) else {
            return .unexpected("a message on '\(message.subject)' without a JetStream ack subject")
        }
        return .message(metadata, message)
    }
}
