// ClusterJoiner: puts a starting tlschatd into its cluster (--cluster). Before
// any listener opens, it connects the NATS client on the server's loop, opens
// the history stream (JetStreamHistoryStore: history in cluster mode lives in
// JetStream, so every node reads the same history and ids) and the names
// bucket, and waits for all three, running the loop for at most
// `startTimeoutSeconds`; a cluster that cannot be reached at start is an
// error naming what failed (later outages are ridden out by ClusterNode).
// It also reads the stream's last sequence, so room feeds start after it
// (a node that could not learn it would replay a room's whole history as
// live messages: the start fails instead). Then it makes the ClusterNode,
// hands it and the store to the chat core and announces the node. It logs
// the client's connection events, reloads the certificate-only marks whenever
// the node rejoins (NATS back, or a partition healed: one set elsewhere
// meanwhile was announced while this node could not hear), and reports through `onGaveUp` a NATS
// client that stopped for good (credentials refused again and again): the
// node could never rejoin, so the service ends with an error for its
// supervisor to see. It holds no chat rules and parses no flags.
import ChatCluster
import ChatCore
import ChatNet
import Logging
import NATSClient

final class ClusterJoiner {
    let node: ClusterNode
    let store: JetStreamHistoryStore
    let client: NATSClient
    /// Called once if the NATS client stops for good while the node runs, with the reason.
    var onGaveUp: ((String) -> Void)?
    private var closing = false

    init(configuration: ClusterConfiguration, history: HistoryKeeper.Settings?, core: ChatServerCore, loop: EventLoop,
         logger: Logger) throws {
        let nodeID = ClusterNode.randomNodeID()
        guard let naming = ClusterNaming(clusterName: configuration.name) else { throw ServiceError("invalid --cluster-name") }
        client = NATSClient(loop: loop, options: try configuration.clientOptions(nodeID: nodeID))
        let deadline = Duration.seconds(configuration.startTimeoutSeconds)
        var lastProblem = "no answer"
        client.onEvent = { event in
            if case .connectAttemptFailed(let server, let reason) = event { lastProblem = "\(server): \(reason)" }
            if case .closed(let reason) = event { lastProblem = reason }
        }
        client.start()
        let urls = configuration.printableURLs
        // A client that gave up (credentials refused again and again, unusable ones) ends the wait.
        guard try loop.run(for: deadline, until: { [client] in client.state == .connected || client.state == .closed }),
              client.state == .connected else {
            let gaveUp = client.state == .closed
            var problem = lastProblem  // before close(): its own .closed event would replace it
            if client.serverInfo?.authRequired == true && !configuration.hasCredentials {
                problem += "; the NATS server requires credentials and none were given (--cluster-creds, "
                    + "--cluster-nkey-file, --cluster-token-file or --cluster-user with --cluster-password-file)"
            }
            client.close()
            throw ServiceError(gaveUp ? "cluster: cannot join NATS at \(urls): \(problem)"
                : "cluster: cannot reach NATS at \(urls) within \(configuration.startTimeoutSeconds) s (\(problem))")
        }
        let jetStream = JetStream(client: client)
        var storeConfiguration = JetStreamHistoryStore.Configuration(clusterName: configuration.name)
        storeConfiguration.replicas = configuration.replicas
        storeConfiguration.maximumAge = history?.maximumAgeSeconds.map { .seconds($0) }
        storeConfiguration.maximumMessagesPerScope = history?.maximumMessagesPerRoom
        // A NATS cluster that has just (re)started may not answer JetStream requests until its
        // streams have elected leaders: retry until the start deadline.
        let giveUp = MonotonicClock.now() + UInt64(configuration.startTimeoutSeconds) * 1_000_000_000
        var opened: Result<JetStreamHistoryStore, HistoryError>?
        var bucket: Result<KeyValueBucket, JetStreamError>?
        repeat {
            if case .failure = opened { opened = nil }
            if case .failure = bucket { bucket = nil }
            if opened == nil { JetStreamHistoryStore.open(jetStream: jetStream, configuration: storeConfiguration) { opened = $0 } }
            if bucket == nil {
                KeyValueBucket.create(name: naming.namesBucket, jetStream: jetStream, replicas: configuration.replicas) { bucket = $0 }
            }
            _ = try loop.run(for: deadline, until: { opened != nil && bucket != nil })
            if case .success = opened, case .success = bucket { break }
            _ = try loop.run(for: .milliseconds(500), until: { false })
        } while MonotonicClock.now() < giveUp
        switch (opened, bucket) {
        case (.success(let store), .success(let names)):
            self.store = store
            node = ClusterNode(nodeID: nodeID, naming: naming, client: client, core: core,
                               feeds: JetStreamRoomFeeds(store: store), names: names, settings: Self.nodeSettings(configuration))
        case (.failure(let error), _):
            client.close()
            throw ServiceError("cluster: cannot open the history stream: \(error.description)")
        case (_, .failure(let error)):
            client.close()
            throw ServiceError("cluster: cannot open the names bucket \(naming.namesBucket): \(error)")
        default:
            client.close()
            throw ServiceError("cluster: JetStream did not answer within \(configuration.startTimeoutSeconds) s (is JetStream enabled on \(urls)?)")
        }
        node.highestSequence = try Self.lastSequence(of: store.subjects.historyStream, jetStream: jetStream, loop: loop,
                                                     giveUp: giveUp, client: client)
        core.cluster = node
        node.log = { level, message in
            switch level {
            case "error": logger.error("\(message)")
            case "warning": logger.warning("\(message)")
            default: logger.notice("\(message)")
            }
        }
        node.onRejoined = { [store, core] in  // marks set elsewhere while this node could not hear them
            store.reloadCertificateOnlyMarks { result in
                switch result {
                case .success(let rooms): for room in rooms.sorted() { core.certificateOnlyMarkLearned(room: room) }
                case .failure(let error): logger.warning("cluster: could not reload the certificate-only marks: \(error)")
                }
            }
        }
        client.onEvent = { [unowned self, node] event in
            node.clientEvent(event)
            if case .closed(let reason) = event, !closing {
                closing = true
                onGaveUp?(reason)
            }
        }
        try node.start()
        logger.info("cluster", metadata: ["node": "\(nodeID)", "name": "\(configuration.name)", "nats": "\(urls)",
                                          "replicas": "\(configuration.replicas)"])
    }

    /// The history stream's last sequence, asked again until `giveUp` (a stream electing its
    /// leader may not answer at once); throws when it cannot be learned.
    private static func lastSequence(of stream: String, jetStream: JetStream, loop: EventLoop, giveUp: UInt64,
                                     client: NATSClient) throws -> UInt64 {
        var lastProblem = "no answer"
        repeat {
            var info: Result<StreamInfo, JetStreamError>?
            jetStream.streamInfo(stream) { info = $0 }
            _ = try loop.run(for: .seconds(5), until: { info != nil })
            switch info {
            case .success(let found): return found.state.lastSequence
            case .failure(let error): lastProblem = "\(error)"
            case nil: break
            }
            _ = try loop.run(for: .milliseconds(500), until: { false })
        } while MonotonicClock.now() < giveUp
        client.close()
        throw ServiceError("cluster: cannot read the state of the history stream \(stream) (\(lastProblem)); "
            + "without its last sequence, room feeds would replay old messages as new")
    }

    private static func nodeSettings(_ configuration: ClusterConfiguration) -> ClusterNode.Settings {
        var settings = ClusterNode.Settings()
        settings.heartbeatInterval = .seconds(configuration.heartbeatSeconds)
        settings.deadAfter = .seconds(configuration.deadAfterSeconds)
        return settings
    }

    /// Tells the other nodes this one stops, then closes the NATS connection.
    func close() {
        closing = true
        node.stop()
        client.close()
    }
}
