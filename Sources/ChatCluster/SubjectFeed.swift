// SubjectFeed: an ordered feed of one subject of a JetStream stream: it hands
// each stored message of the subject to its handler with its stream
// sequence, in stream order, each once, starting after a given sequence or
// with messages stored from now on. It reads through an ephemeral push
// consumer (JetStream+Consumers: no acks, flow control, idle heartbeats, an
// inactivity threshold so the server removes it if we vanish) on a deliver
// subject of its own, and replaces that consumer, starting at the last
// delivered sequence + 1, when it can no longer trust it:
//   - a gap: a consumer sequence that is not the next one, or a heartbeat
//     naming a later last consumer sequence than we saw (a message was lost);
//   - a stall: no message and no heartbeat for `missedHeartbeats` intervals;
//   - a reconnect of the NATS client (deliveries may have been lost meanwhile).
// Messages from a replaced consumer are ignored (they arrive on its old
// deliver subject), and a sequence at or below the last delivered one is
// never handed out again. A failed creation is retried with a growing delay
// (bounded). Memory is bounded: a message is handed to the handler as it
// arrives, nothing is queued; flow control keeps the server from running
// ahead of us. `stop()` unsubscribes and deletes the consumer. It knows
// nothing of chat; the cluster link decodes the messages.
import ChatNet
import NATSClient

public final class SubjectFeed {
    public enum Start: Sendable, Equatable {
        /// Messages with a stream sequence above this one.
        case after(UInt64)
        /// Messages stored after the feed's first consumer exists.
        case newOnly
    }

    public struct Options: Sendable {
        public var idleHeartbeat: Duration = .seconds(2)
        /// Intervals without any message or heartbeat after which the consumer counts as stalled.
        public var missedHeartbeats = 3
        /// How long the server keeps a consumer whose deliver subject has no subscriber.
        public var inactiveThreshold: Duration = .seconds(30)
        /// Delay before retrying a failed consumer creation, doubled per failure up to `maximumRetryDelay`.
        public var retryDelay: Duration = .milliseconds(200)
        public var maximumRetryDelay: Duration = .seconds(5)
        public init() {}
    }

    /// What the feed reports besides messages (on the loop thread).
    public enum Event: Sendable, Equatable {
        /// A consumer is delivering (after `start()` or a replacement).
        case consuming(consumer: String, from: UInt64)
        /// The consumer is being replaced; says why (gap, stall, reconnect).
        case replacing(reason: String)
        /// Creating a consumer failed; it is retried.
        case creationFailed(String)
    }

    public let jetStream: JetStream
    public let stream: String
    public let subject: String
    public let options: Options
    /// Called for every message, in stream order, each once.
    let handler: (UInt64, NATSMessage) -> Void
    public var onEvent: ((Event) -> Void)?

    /// The stream sequence of the last message handed out (or the start point).
    public internal(set) var lastDelivered: UInt64
    /// The current consumer's name, once the server has answered its creation.
    public internal(set) var consumerName: String?
    /// How many times the consumer was replaced.
    public internal(set) var replacements = 0
    public internal(set) var isStopped = false

    var startsWithNewOnly: Bool
    /// Bumped for every consumer: answers and messages for an older one are ignored.
    var generation = 0
    var subscription: NATSSubscription?
    var expectedConsumerSequence: UInt64 = 1
    var lastActivity: UInt64 = 0
    var watchdog: LoopTimer?
    var retryTimer: LoopTimer?
    var failedCreations = 0
    var observer: UInt64?
    /// Tests: drop this many delivered messages as if the network lost them.
    var testDropsNextMessages = 0

    public init(jetStream: JetStream, stream: String, subject: String, start: Start, options: Options = Options(),
                handler: @escaping (UInt64, NATSMessage) -> Void) {
        self.jetStream = jetStream
        self.stream = stream
        self.subject = subject
        self.options = options
        self.handler = handler
        switch start {
        case .after(let sequence):
            lastDelivered = sequence
            startsWithNewOnly = false
        case .newOnly:
            lastDelivered = 0
            startsWithNewOnly = true
        }
    }

    var client: NATSClient { jetStream.client }
    var loop: EventLoop { jetStream.client.loop }

    /// Creates the first consumer. Messages and events follow on the loop thread.
    public func start() {
        guard observer == nil, !isStopped else { return }
        observer = client.addObserver { [weak self] event in
            if case .reconnected = event { self?.replace(because: "the NATS client reconnected") }
        }
        watchdog = loop.scheduleRepeating(every: options.idleHeartbeat) { [weak self] in self?.checkActivity() }
        createConsumer()
    }

    /// Stops delivering, unsubscribes and deletes the consumer (`completion`: when the server confirmed).
    public func stop(completion: ((Result<Void, JetStreamError>) -> Void)? = nil) {
        guard !isStopped else { return }
        isStopped = true
        generation += 1
        watchdog?.cancel()
        retryTimer?.cancel()
        if let observer { client.removeObserver(observer) }
        observer = nil
        dropConsumer(completion: completion)
    }

    /// A feed dropped without `stop()` ends its subscription; the server's inactivity threshold
    /// then removes the consumer.
    deinit {
        watchdog?.cancel()
        retryTimer?.cancel()
        if let observer { client.removeObserver(observer) }
        if let subscription { client.unsubscribe(subscription) }
    }
}
