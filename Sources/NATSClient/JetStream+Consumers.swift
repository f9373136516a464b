// JetStream+Consumers: ephemeral push consumers on a stream, the way an
// ordered reader uses them: create ($JS.API.CONSUMER.CREATE.<stream>) with a
// subject filter, a deliver subject the caller subscribes to, where to start
// (all, new only, or from a stream sequence), no acknowledgements, idle
// heartbeats with flow control, and an inactivity threshold after which the
// server deletes a consumer whose client went away; read its info; delete it.
// What a delivered message carries (sequences, heartbeats, flow control) is
// parsed by JetStreamDelivery. Durable and pull consumers, acknowledgement
// policies other than none and consumer updates are not implemented.
import Foundation

/// Where a new consumer starts reading its stream.
public enum ConsumerStart: Sendable, Equatable {
    /// Every stored message (of the filter subject).
    case all
    /// Only messages stored after the consumer was created.
    case new
    /// Messages from this stream sequence on (inclusive).
    case sequence(UInt64)
}

extension ConsumerStart {
    /// Writes the start as a consumer configuration's deliver_policy (and opt_start_seq).
    func encode<Key: CodingKey>(into values: inout KeyedEncodingContainer<Key>, policy: Key, sequence: Key) throws {
        switch self {
        case .all: try values.encode("all", forKey: policy)
        case .new: try values.encode("new", forKey: policy)
        case .sequence(let start):
            try values.encode("by_start_sequence", forKey: policy)
            try values.encode(max(1, start), forKey: sequence)
        }
    }
}

/// The configuration of an ephemeral push consumer with acknowledgements off.
public struct PushConsumerConfiguration: Sendable, Equatable {
    public var filterSubject: String?
    public var deliverSubject: String
    public var start: ConsumerStart
    /// The server sends an idle heartbeat after this long without a message (nil: none).
    public var idleHeartbeat: Duration?
    /// The server waits for our answer to flow-control requests before sending more.
    public var flowControl: Bool
    /// The server deletes the consumer after its deliver subject has had no subscriber this long.
    public var inactiveThreshold: Duration?
    /// Keep the consumer's state in memory (an ephemeral reader does not need it on disk).
    public var memoryStorage: Bool

    public init(deliverSubject: String, filterSubject: String? = nil, start: ConsumerStart = .all,
                idleHeartbeat: Duration? = .seconds(5), flowControl: Bool = true,
                inactiveThreshold: Duration? = .seconds(30), memoryStorage: Bool = true) {
        self.deliverSubject = deliverSubject
        self.filterSubject = filterSubject
        self.start = start
        self.idleHeartbeat = idleHeartbeat
        self.flowControl = flowControl
        self.inactiveThreshold = inactiveThreshold
        self.memoryStorage = memoryStorage
    }
}

extension PushConsumerConfiguration: Encodable {
    enum CodingKeys: String, CodingKey {
        case deliverSubject = "deliver_subject", filterSubject = "filter_subject", deliverPolicy = "deliver_policy"
        case startSequence = "opt_start_seq", ackPolicy = "ack_policy", replayPolicy = "replay_policy"
        case idleHeartbeat = "idle_heartbeat", flowControl = "flow_control", inactiveThreshold = "inactive_threshold"
        case memoryStorage = "mem_storage", replicas = "num_replicas", maximumDeliver = "max_deliver"
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encode(deliverSubject, forKey: .deliverSubject)
        try values.encodeIfPresent(filterSubject, forKey: .filterSubject)
        try start.encode(into: &values, policy: .deliverPolicy, sequence: .startSequence)
        try values.encode("none", forKey: .ackPolicy)
        try values.encode("instant", forKey: .replayPolicy)
        try values.encode(1, forKey: .maximumDeliver)
        try values.encode(1, forKey: .replicas)
        try values.encodeIfPresent(idleHeartbeat.map { Int64(clamping: $0.nanoseconds) }, forKey: .idleHeartbeat)
        if flowControl { try values.encode(true, forKey: .flowControl) }
        try values.encodeIfPresent(inactiveThreshold.map { Int64(clamping: $0.nanoseconds) }, forKey: .inactiveThreshold)
        if memoryStorage { try values.encode(true, forKey: .memoryStorage) }
    }
}

/// What the server says about a consumer.
public struct ConsumerInfo: Decodable, Sendable, Equatable {
    public struct SequencePair: Decodable, Sendable, Equatable {
        public var consumerSequence: UInt64
        public var streamSequence: UInt64
        enum CodingKeys: String, CodingKey { case consumerSequence = "consumer_seq", streamSequence = "stream_seq" }
    }
    public var stream: String
    public var name: String
    /// The last message delivered (for a consumer starting with `.new`: the stream's last sequence at creation).
    public var delivered: SequencePair
    /// Messages matching the filter not delivered yet.
    public var pending: UInt64

    enum CodingKeys: String, CodingKey { case stream = "stream_name", name, delivered, pending = "num_pending" }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.container(keyedBy: CodingKeys.self)
        stream = try values.decode(String.self, forKey: .stream)
        name = try values.decode(String.self, forKey: .name)
        delivered = try values.decode(SequencePair.self, forKey: .delivered)
        pending = try values.decodeIfPresent(UInt64.self, forKey: .pending) ?? 0
    }
}

extension JetStream {
    /// Creates an ephemeral push consumer on `stream`; completes with its info (its name is server-chosen).
    public func createConsumer(stream: String, _ configuration: PushConsumerConfiguration,
                               completion: @escaping (Result<ConsumerInfo, JetStreamError>) -> Void) {
        struct Request: Encodable {
            var stream: String
            var config: PushConsumerConfiguration
            enum CodingKeys: String, CodingKey { case stream = "stream_name", config }
        }
        call("CONSUMER.CREATE.\(stream)", body: Self.encode(Request(stream: stream, config: configuration)), completion: completion)
    }

    public func consumerInfo(stream: String, consumer: String,
                             completion: @escaping (Result<ConsumerInfo, JetStreamError>) -> Void) {
        call("CONSUMER.INFO.\(stream).\(consumer)", body: [], completion: completion)
    }

    public func deleteConsumer(stream: String, consumer: String, completion: @escaping (Result<Void, JetStreamError>) -> Void) {
        call("CONSUMER.DELETE.\(stream).\(consumer)", body: []) { (result: Result<SuccessReply, JetStreamError>) in
            completion(result.map { _ in () })
        }
    }
}
