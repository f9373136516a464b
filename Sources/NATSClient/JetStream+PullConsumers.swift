// JetStream+PullConsumers: ephemeral pull consumers, used to count and read a
// stretch of one subject. A pull consumer has no deliver subject, so it sends
// nothing until asked; created with a filter and a start sequence, its
// `num_pending` is the number of the subject's messages from that sequence to
// the end of the stream (a count, without reading them). `fetch` asks it for
// up to `batch` messages at once ($JS.API.CONSUMER.MSG.NEXT with no_wait) on
// an inbox subscription of its own, hands each stored message to the caller
// in stream order, and completes when the batch is full, the server says
// there is nothing more (status 404 or 408), the caller says stop, or the
// deadline passes. Acknowledgements are off (ack policy none): the consumer
// is a cursor, deleted by the caller (or by the server after its inactivity
// threshold). Durable pull consumers and acknowledged work queues are not
// implemented.
import ChatNet

/// The configuration of an ephemeral pull consumer with acknowledgements off.
public struct PullConsumerConfiguration: Sendable, Equatable, Encodable {
    public var filterSubject: String?
    public var start: ConsumerStart
    /// The server deletes the consumer after it has been idle this long.
    public var inactiveThreshold: Duration
    public var memoryStorage: Bool

    public init(filterSubject: String?, start: ConsumerStart, inactiveThreshold: Duration = .seconds(10), memoryStorage: Bool = true) {
        self.filterSubject = filterSubject
        self.start = start
        self.inactiveThreshold = inactiveThreshold
        self.memoryStorage = memoryStorage
    }

    enum CodingKeys: String, CodingKey {
        case filterSubject = "filter_subject", deliverPolicy = "deliver_policy", startSequence = "opt_start_seq"
        case ackPolicy = "ack_policy", replayPolicy = "replay_policy", inactiveThreshold = "inactive_threshold"
        case memoryStorage = "mem_storage", replicas = "num_replicas"
    }

    public func encode(to encoder: any Encoder) throws {
        var values = encoder.container(keyedBy: CodingKeys.self)
        try values.encodeIfPresent(filterSubject, forKey: .filterSubject)
        try start.encode(into: &values, policy: .deliverPolicy, sequence: .startSequence)
        try values.encode("none", forKey: .ackPolicy)
        try values.encode("instant", forKey: .replayPolicy)
        try values.encode(1, forKey: .replicas)
        try values.encode(Int64(clamping: inactiveThreshold.nanoseconds), forKey: .inactiveThreshold)
        if memoryStorage { try values.encode(true, forKey: .memoryStorage) }
    }
}

extension JetStream {
    /// Creates an ephemeral pull consumer on `stream`; its info's `pending` counts the matching
    /// messages from its start to the end of the stream. `timeout` (default: the JetStream
    /// context's) bounds the wait for the reply.
    public func createPullConsumer(stream: String, _ configuration: PullConsumerConfiguration, timeout: Duration? = nil,
                                   completion: @escaping (Result<ConsumerInfo, JetStreamError>) -> Void) {
        struct Request: Encodable {
            var stream: String
            var config: PullConsumerConfiguration
            enum CodingKeys: String, CodingKey { case stream = "stream_name", config }
        }
        call("CONSUMER.CREATE.\(stream)", body: Self.encode(Request(stream: stream, config: configuration)), timeout: timeout,
             completion: completion)
    }

    /// Fetches up to `batch` messages from pull consumer `consumer`, handing each to `receive`
    /// (return false to stop early); completes once, after the last one, or with why not.
    public func fetch(stream: String, consumer: String, batch: Int, timeout: Duration,
                      receive: @escaping (DeliveryMetadata, NATSMessage) -> Bool,
                      completion: @escaping (Result<Void, JetStreamError>) -> Void) {
        PullFetch(client: client, batch: max(1, batch), receive: receive, completion: completion)
            .start(subject: "\(apiPrefix).CONSUMER.MSG.NEXT.\(stream).\(consumer)", timeout: timeout)
    }
}

/// One fetch in progress: its inbox subscription, its deadline and its count.
private final class PullFetch {
    private let client: NATSClient
    private let batch: Int
    private let receive: (DeliveryMetadata, NATSMessage) -> Bool
    private var completion: ((Result<Void, JetStreamError>) -> Void)?
    private var subscription: NATSSubscription?
    private var timer: LoopTimer?
    private var received = 0

    init(client: NATSClient, batch: Int, receive: @escaping (DeliveryMetadata, NATSMessage) -> Bool,
         completion: @escaping (Result<Void, JetStreamError>) -> Void) {
        self.client = client
        self.batch = batch
        self.receive = receive
        self.completion = completion
    }

    func start(subject: String, timeout: Duration) {
        let inbox = client.inboxPrefix + "-fetch." + NATSClient.randomToken(length: 12)
        do {
            subscription = try client.subscribe(inbox) { [self] message in handle(message) }  // kept alive by the subscription
            let body = Array(#"{"batch":\#(batch),"no_wait":true}"#.utf8)
            try client.publish(subject, payload: body, replyTo: inbox)
        } catch {
            return end(.failure(.transport(error)))
        }
        timer = client.loop.schedule(after: timeout) { [weak self] in
            self?.end(.failure(.transport(.timedOut(subject: subject))))
        }
    }

    private func handle(_ message: NATSMessage) {
        guard completion != nil else { return }
        if let headers = message.headers, let status = headers.status, message.payload.isEmpty {
            switch status {
            case 404, 408: return end(.success(()))  // nothing (more) to deliver now
            case 503: return end(.failure(.transport(.noResponders(subject: message.subject))))
            default: return end(.failure(.api(code: status, errorCode: 0, description: headers.statusDescription ?? "status \(status)")))
            }
        }
        guard let reply = message.replyTo, let metadata = DeliveryMetadata.parse(ackSubject: reply) else {
            return end(.failure(.malformedResponse("a fetched message on '\(message.subject)' without a JetStream ack subject")))
        }
        received += 1
        guard receive(metadata, message), received < batch else { return end(.success(())) }
    }

    private func end(_ result: Result<Void, JetStreamError>) {
        guard let completion else { return }
        self.completion = nil
        timer?.cancel()
        timer = nil
        if let subscription { client.unsubscribe(subscription) }
        subscription = nil
        completion(result)
    }
}
