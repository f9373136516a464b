// ClusterNode: this tlschatd's membership in a cluster (tlschatd --cluster),
// the ChatCore ClusterLink spoken over NATS. It publishes this node's
// presence events (arrive, leave, join, part, rename) on the cluster's
// presence subject and applies every other node's to the chat core; sends a
// heartbeat every `heartbeatInterval` and declares a node that stays silent
// for `deadAfter` lost (its users leave everywhere, with `quit`); answers a
// `hello` with this node's whole state (in parts when large, StateChunks) and sends its own hello and state
// whenever it (re)connects, so nodes that dropped it take its users back;
// claims anonymous names in a JetStream key-value bucket with compare-and-set
// (ClusterNameClaims); hands private messages to the recipient's node; and
// follows the room feeds (RoomFeedSource) of rooms with local members,
// handing each stored message's entries to the core at once and keeping the
// highest stream sequence seen (not an entry id: HistoryPosition). When
// NATS is unreachable the node keeps chatting locally (the core sees
// `isConnected` false), says so in the log, and rejoins by itself once the
// client reconnects. It stores no messages (the history store does) and owns
// no socket (NATSClient does).
import ChatCore
import ChatNet
import NATSClient

public final class ClusterNode: ClusterLink {
    public struct Settings: Sendable {
        public var heartbeatInterval: Duration = .seconds(1)
        public var deadAfter: Duration = .seconds(5)
        public init() {}
    }

    public let nodeID: String
    public let naming: ClusterNaming
    public let client: NATSClient
    let settings: Settings
    unowned let core: ChatServerCore
    private let feeds: RoomFeedSource?
    let claims: ClusterNameClaims
    /// Told of what an operator should know (connection lost and back, nodes lost).
    public var log: ((_ level: String, _ message: String) -> Void)?
    /// Other nodes, by id: when each was last heard of (MonotonicClock nanoseconds).
    var lastHeard: [String: UInt64] = [:]
    private var followed: [String: any RoomFeedSubscription] = [:]
    /// A history stream sequence (not an entry id: HistoryPosition) no later than the newest
    /// stored now: the stream's last at start,
    /// then the highest seen in a feed or announced in another node's heartbeat (each node
    /// sends its own). A new room feed starts after it (RoomFeedSource).
    public var highestSequence: UInt64 = 0
    private var heartbeatTimer: LoopTimer?
    private var connectedSince: UInt64?
    /// `stop()` was called: the client's close is ours, not news.
    private var stopping = false
    /// This node's states sent so far (each one's parts carry it); other nodes' states in parts.
    var stateSerial = 0
    var stateParts: [String: StateAssembly] = [:]
    /// Sends state parts a little at a time (StatePublisher).
    lazy var statePublisher: StatePublisher = {
        let publisher = StatePublisher(loop: client.loop) { [unowned self] subject, payload throws(NATSError) in
            try client.publish(subject, payload: payload)
        }
        publisher.log = { [unowned self] in log?("warning", "cluster: \($0)") }
        return publisher
    }()
    /// When the NATS connection was lost (MonotonicClock nanoseconds), nil while up.
    var disconnectedAt: UInt64?
    /// Nodes declared lost (silent past `deadAfter`): hearing one again means a partition
    /// healed (ClusterNode+Rejoining). Bounded.
    var lostNodes: Set<String> = []
    /// Called when this node rejoins the cluster (NATS back, or a partition healed): what was
    /// announced meanwhile may have been missed (ClusterJoiner reloads the certificate-only marks).
    public var onRejoined: (() -> Void)?
    /// Refusals of what other nodes sent are logged in a burst of 20, then one a second.
    var refusalLog = TokenBucket(capacity: 20, refillPerSecond: 1, now: 0)
    var refusalsNotLogged = 0

    /// `nodeID`: unique per process (a fresh random id at every start is right).
    public init(nodeID: String, naming: ClusterNaming, client: NATSClient, core: ChatServerCore,
                feeds: RoomFeedSource?, names: KeyValueBucket?, settings: Settings = Settings()) {
        self.nodeID = nodeID
        self.naming = naming
        self.client = client
        self.core = core
        self.feeds = feeds
        self.settings = settings
        claims = ClusterNameClaims(nodeID: nodeID, bucket: names, loop: client.loop)
        claims.isAlive = { [unowned self] node in isAlive(node) }
        core.refusedRemoteInput = { [unowned self] what in logRefusal(what) }
        feeds?.onUndecodable = { [unowned self] what in logRefusal("stored messages of \(what)") }
    }

    /// A fresh node id: 8 random hex digits.
    public static func randomNodeID() -> String {
        String(UInt32.random(in: .min ... .max), radix: 16).leftPadded(to: 8)
    }

    /// Subscribes, announces this node and starts the heartbeat. Call once the client is up.
    public func start() throws(NATSError) {
        try client.subscribe(naming.presenceSubject) { [unowned self] message in received(message.payload, direct: false) }
        try client.subscribe(naming.nodeSubject(nodeID)) { [unowned self] message in received(message.payload, direct: true) }
        connectedSince = MonotonicClock.now()
        announce()
        heartbeatTimer = client.loop.scheduleRepeating(every: settings.heartbeatInterval) { [unowned self] in beat() }
    }

    /// The NATS client's events (the server forwards them here).
    public func clientEvent(_ event: NATSClientEvent) {
        switch event {
        case .disconnected(let reason):
            connectedSince = nil
            disconnectedAt = disconnectedAt ?? MonotonicClock.now()
            log?("warning", "cluster: lost NATS (\(reason)); chatting locally until it is back")
        case .reconnected(let server):
            connectedSince = MonotonicClock.now()
            log?("notice", "cluster: NATS is back (\(server)); rejoining the cluster")
            announce()
            claims.retryPendingReleases()
            let outage = disconnectedAt.map { MonotonicClock.now() &- $0 } ?? 0
            disconnectedAt = nil
            rejoined(checkingNames: outage >= settings.deadAfter.nanoseconds)
        case .writable:
            statePublisher.resume()
        case .closed(let reason):
            connectedSince = nil
            guard !stopping else { return }
            log?("error", "cluster: the NATS client stopped for good (\(reason)); this node cannot rejoin the cluster")
        default: break
        }
    }

    /// Tells the other nodes this one is stopping (its users leave there at once).
    public func stop() {
        stopping = true
        heartbeatTimer?.cancel()
        statePublisher.stop()
        for subscription in followed.values { subscription.stop() }
        followed = [:]
        if client.state != .closed { publish(PresenceEvent(.bye, node: nodeID)) }
    }

    // MARK: ClusterLink

    public var guestSuffix: String { String(nodeID.prefix(6)) }
    public var isConnected: Bool { client.state == .connected }

    public func userArrived(name: String, trust: Trust, since: Int64, supersedes: String?) {
        var event = PresenceEvent(.arrive, node: nodeID)
        (event.name, event.trust, event.since, event.supersedes) = (name, trust.rawValue, since, supersedes)
        publish(event)
    }

    public func userLeft(name: String, trust: Trust) {
        var event = PresenceEvent(.leave, node: nodeID)
        (event.name, event.trust) = (name, trust.rawValue)
        publish(event)
    }

    public func joined(room: String, name: String, trust: Trust) {
        var event = PresenceEvent(.join, node: nodeID)
        (event.name, event.room) = (name, room)
        publish(event)
    }

    public func parted(room: String, name: String, trust: Trust, reason: String) {
        var event = PresenceEvent(.part, node: nodeID)
        (event.name, event.room, event.reason) = (name, room, reason)
        publish(event)
    }

    public func renamed(from: String, to: String, trust: Trust) {
        var event = PresenceEvent(.rename, node: nodeID)
        (event.name, event.to) = (from, to)
        publish(event)
    }

    public func claim(name: String, completion: @escaping (Bool) -> Void) {
        claims.claim(name, connected: isConnected, completion: completion)
    }

    public func release(name: String) {
        claims.release(name, connected: isConnected)
    }

    public func privateMessage(to recipient: String, node: String, from sender: String, trust: Trust,
                               text: String, id: Int64?) -> Bool {
        guard isConnected else { return false }
        var event = PresenceEvent(.privateMessage, node: nodeID)
        (event.name, event.to, event.trust, event.text, event.id) = (sender, recipient, trust.rawValue, text, id)
        return send(event, to: naming.nodeSubject(node))
    }

    public func certificateOnly(room: String, by name: String) {
        var event = PresenceEvent(.certificateOnly, node: nodeID)
        (event.name, event.room) = (name, room)
        publish(event)
    }

    public func roomInterest(_ room: String, hasLocalMembers: Bool) {
        if hasLocalMembers {
            guard followed[room] == nil, let feeds else { return }
            followed[room] = feeds.follow(room: room, after: highestSequence) { [unowned self] sequence, batch in
                highestSequence = max(highestSequence, sequence)
                core.clusterRoomMessages(batch)
            }
        } else {
            followed.removeValue(forKey: room)?.stop()
        }
    }

    // MARK: Sending

    /// This node's whole state, in parts when it is large (StateChunks).
    func sendState(to subject: String) {
        stateSerial += 1
        let users = core.localUsers().map { PresenceEvent.User(name: $0.name, trust: $0.trust.rawValue, rooms: $0.rooms, since: $0.since) }
        statePublisher.send(StateChunks.events(node: nodeID, serial: stateSerial, users: users), to: subject)
    }

    /// After (re)connecting: this node's state for everyone, and a hello so each node answers with its own.
    private func announce() {
        sendState(to: naming.presenceSubject)
        publish(PresenceEvent(.hello, node: nodeID))
    }

    private func beat() {
        var event = PresenceEvent(.heartbeat, node: nodeID)
        event.count = core.sessionCount
        event.id = Int64(clamping: highestSequence)
        if isConnected { publish(event) }
        let now = MonotonicClock.now()
        let limit = settings.deadAfter.nanoseconds
        for (node, heard) in lastHeard where now &- heard > limit {
            lastHeard[node] = nil
            stateParts[node] = nil
            if lostNodes.count < 1024 { lostNodes.insert(node) }
            log?("warning", "cluster: node \(node) silent for \(settings.deadAfter); its users left")
            core.remoteNodeLost(node)
        }
        askAgainForStalledStates(now: now)
    }

    /// Whether `node` has been heard from recently; unknown nodes count as alive until this
    /// node has been connected long enough to have heard every live one.
    func isAlive(_ node: String) -> Bool {
        if node == nodeID || lastHeard[node] != nil { return true }
        guard let since = connectedSince else { return true }
        let waited = MonotonicClock.now() &- since
        return waited < UInt64(settings.deadAfter.components.seconds + 1) * 1_000_000_000
    }

    func publish(_ event: PresenceEvent) {
        send(event, to: naming.presenceSubject)
    }

    @discardableResult
    func send(_ event: PresenceEvent, to subject: String) -> Bool {
        do {
            try client.publish(subject, payload: event.encoded())
            return true
        } catch {
            log?("warning", "cluster: could not publish a \(event.kind.rawValue) event: \(error)")
            return false
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
