// ChatServer: runs the chat/1 service on an event loop: opens the TLS and
// (explicitly requested) plaintext listeners, enforces the connection limits
// (overall and per source address: over them a socket is closed at once),
// wraps each accepted socket in a connection with its ClientConnection glue,
// sweeps idle clients once a second (first-command deadline, idle PING, then
// close), logs connection lifecycles (never message contents), ends the
// sessions a newly loaded CRL revokes, counts accepts, handshakes and
// disconnects for /metrics (ServerMetrics), and shuts down gracefully. It takes the
// TLS context for each new handshake from a TLSContextProvider (TLSReloader
// swaps it). A listener marked for the PROXY protocol first reads the
// relayed client address (ChatServer+RelayedConnections). A reloaded config
// file updates its limits, timeouts and rates for new and connected clients
// (`update(settings:)`). Chat rules live in
// ChatServerCore; transport rules in ChatNet.
import ChatCore
import ChatIRC
import ChatNet
import Logging

final class ChatServer {
    struct Settings {
        var maximumLineLength = 4096
        var maximumQueuedOutput = 1 << 20
        var maximumClients = 10_000
        var maximumClientsPerAddress = 100
        var firstCommandTimeout: Duration = .seconds(30)
        var idleTimeout: Duration = .seconds(300)
        var pingGrace: Duration = .seconds(30)
        var commandBurst = 40
        var commandsPerSecond = 20.0
    }

    let core: ChatServerCore
    let loop: EventLoop
    /// The TLS context for new handshakes (a reload replaces it; live sessions keep theirs).
    let contexts: TLSContextProvider
    private(set) var settings: Settings
    let logger: Logger
    private var listeners: [Listener] = []
    private var clients: [ObjectIdentifier: ClientConnection] = [:]
    /// Connections on PROXY-protocol listeners whose header is still being read.
    var relayedHeaderReads: [ObjectIdentifier: ProxyHeaderReader] = [:]
    /// PROXY refusals a peer can repeat at will are logged in a burst of 20, then one a second.
    var relayRefusalLog = TokenBucket(capacity: 20, refillPerSecond: 1, now: 0)
    var relayRefusalsNotLogged = 0
    private var clientsPerHost: [String: Int] = [:]
    private var shuttingDown = false
    private var sweepTimer: LoopTimer?
    /// ClientConnection objects alive (held here or anywhere else): equals
    /// `clients.count` once closed connections are released; more means a leak.
    let liveClients = LiveObjectCount()
    /// What IRC clients are told about this server, and the room events last translated for them.
    private(set) lazy var ircInfo = IRCServerInfo(limits: core.limits)
    let ircTranslations = IRCBroadcastCache()
    /// Accepts, handshakes and disconnects counted for /metrics (ServerMetrics).
    let metrics = ServerMetrics(startTime: Double(HistoryKeeper.wallClockMilliseconds()) / 1000)
    private var refusedSinceLastLog = 0
    private var lastRefusalLog: UInt64 = 0

    init(loop: EventLoop, contexts: TLSContextProvider, core: ChatServerCore, settings: Settings, logger: Logger) {
        self.loop = loop
        self.contexts = contexts
        self.core = core
        self.settings = settings
        self.logger = logger
        core.roomBroadcastMaker = ConnectionRoomBroadcasts(loop: loop)
        sweepTimer = loop.scheduleRepeating(every: .seconds(1)) { [unowned self] in self.sweepIdleClients() }
    }

    var connectionCount: Int { clients.count }

    /// Calls `body` for every client connection (for the metrics scrape).
    func forEachClient(_ body: (ClientConnection) -> Void) {
        for client in clients.values { body(client) }
    }

    /// New limits from a reloaded configuration: for new connections, the idle sweep, and
    /// every connected client (its line bound, command rate and output queue bound).
    func update(settings new: Settings) {
        settings = new
        for client in clients.values { client.apply(new) }
    }

    /// The TLS context a plaintext connection upgrades with (STARTTLS): the TLS listener's
    /// current one, so both listeners apply the same policy and client-certificate rules.
    var startTLSContext: TLSContext { contexts.current }

    /// One line per STARTTLS upgrade: the new security and identity (never message contents).
    func upgraded(_ client: ClientConnection, session: ChatSession, from oldName: String, discardedBytes: Int) {
        let connection = client.connection
        logger.info("upgraded", metadata: [
            "peer": "\(connection.remoteAddress?.description ?? "?")", "transport": "plain->tls",
            "security": "\(connection.securityDescription)", "old": "\(oldName)", "name": "\(session.name)",
            "trust": "\(session.trust.rawValue)", "certificate": "\(LogFields.certificate(connection.peerIdentity))",
            "discarded-bytes": "\(discardedBytes)",
        ])
    }

    /// The TLS session for a STARTTLS upgrade could not even be created (the connection is closed).
    func startTLSFailed(_ client: ClientConnection, error: String) {
        logger.warning("STARTTLS failed", metadata: [
            "peer": "\(client.connection.remoteAddress?.description ?? "?")", "detail": "\(LogFields.quoted(error))"])
    }

    /// What a listener's clients speak: chat/1, or IRC translated at the edge (ChatIRC).
    enum Dialect { case chat1, irc }

    /// Listens on `address`; returns the bound address (port 0 resolved).
    /// With `relay`, every connection must first send a PROXY v2 header from a trusted address.
    func listen(on address: SocketAddress, transport: Transport, reusePort: Bool = false, dialect: Dialect = .chat1,
                relay: RelayPolicy? = nil) throws -> SocketAddress {
        let listener = try Listener(loop: loop, address: address, options: SocketOptions(reusePort: reusePort), onError: { [logger] error in
            logger.warning("accept failed, pausing briefly", metadata: ["error": "\(error)"])
        }, onAccept: { [unowned self] socket in
            if let relay { self.acceptRelayed(socket, transport: transport, dialect: dialect, relay: relay) }
            else { self.accept(socket, transport: transport, dialect: dialect) }
        })
        listeners.append(listener)
        return listener.localAddress
    }

    private func accept(_ socket: Socket, transport: Transport, dialect: Dialect) {
        let host = (try? socket.peerAddress())?.host ?? "?"
        if !admits(host: host) {
            socket.close()  // before any TLS work: refusing must stay cheap under a flood
            metrics.refused[ServerMetrics.listenerKind(transport: transport, speaksIRC: dialect == .irc), default: 0] += 1
            return noteRefusal(host)
        }
        start(socket, host: host, relayedPeer: nil, transport: transport, dialect: dialect)
    }

    /// Whether one more client from `host` fits the overall and per-address limits
    /// (connections still sending their PROXY header count towards the overall one).
    func admits(host: String) -> Bool {
        clients.count + relayedHeaderReads.count < settings.maximumClients
            && clientsPerHost[host, default: 0] < settings.maximumClientsPerAddress
    }

    /// Wraps an admitted socket in its connection and starts it; `relayedPeer` is the
    /// client address a PROXY header gave (nil: the socket's own peer).
    func start(_ socket: Socket, host: String, relayedPeer: SocketAddress?, transport: Transport, dialect: Dialect) {
        let connection: StreamConnection  // concrete class: the per-message path avoids existential calls
        do {
            if transport == .tls {
                connection = try TLSConnection(accepted: socket, loop: loop, context: contexts.current)
            } else {
                connection = PlainConnection(accepted: socket, loop: loop)
            }
        } catch {
            socket.close()
            logger.warning("could not set up connection", metadata: ["error": "\(error)"])
            return
        }
        connection.maximumBufferedOutput = settings.maximumQueuedOutput
        if let relayedPeer { connection.useRelayedPeerAddress(relayedPeer) }
        let client = ClientConnection(server: self, connection: connection, transport: transport, peerHost: host,
                                      settings: settings, speaksIRC: dialect == .irc)
        connection.delegate = client
        clients[ObjectIdentifier(client)] = client
        clientsPerHost[host, default: 0] += 1
        metrics.accepted[ServerMetrics.listenerKind(transport: transport, speaksIRC: dialect == .irc), default: 0] += 1
        do {
            try connection.start()
        } catch {
            logger.warning("could not start connection", metadata: ["error": "\(error)"])
        }
    }

    func opened(_ client: ClientConnection, session: ChatSession) {
        let connection = client.connection
        logger.info("connected", metadata: [
            "peer": "\(connection.remoteAddress?.description ?? "?")", "transport": "\(client.transport.rawValue)",
            "security": "\(connection.securityDescription)", "name": "\(session.name)", "trust": "\(session.trust.rawValue)",
            "certificate": "\(LogFields.certificate(connection.peerIdentity))",
        ])
    }

    func renamed(_ client: ClientConnection, from oldName: String, to newName: String) {
        logger.info("renamed", metadata: [
            "peer": "\(client.connection.remoteAddress?.description ?? "?")", "old": "\(oldName)", "new": "\(newName)"])
    }

    /// Logs refused connections at most once a second, with a count, so a flood cannot flood the log.
    func noteRefusal(_ host: String) {
        refusedSinceLastLog += 1
        let now = MonotonicClock.now()
        guard now - lastRefusalLog >= 1_000_000_000 else { return }
        logger.warning("refused connections over the limits", metadata: [
            "count": "\(refusedSinceLastLog)", "last-peer": "\(host)", "clients": "\(clients.count)",
            "max-clients": "\(settings.maximumClients)", "max-per-address": "\(settings.maximumClientsPerAddress)"])
        refusedSinceLastLog = 0
        lastRefusalLog = now
    }

    /// Once a second: close clients that sent no command in time, PING the
    /// silent ones, and close those that ignored the PING.
    private func sweepIdleClients() {
        let now = MonotonicClock.now()
        let firstCommand = settings.firstCommandTimeout.nanoseconds
        let idle = settings.idleTimeout.nanoseconds, grace = settings.pingGrace.nanoseconds
        for client in clients.values {
            if client.session == nil, client.speaksIRC, client.connection.state == .open, client.openedAt > 0,
               now - client.openedAt >= firstCommand {
                client.closeUnregisteredIRC("registration not finished within \(settings.firstCommandTimeout)")
                continue
            }
            guard let session = client.session, client.connection.state == .open else { continue }
            if !client.sentFirstCommand && now - client.openedAt >= firstCommand {
                core.dropIdle(session, why: .firstCommandTimeout, explanation: "no command within \(settings.firstCommandTimeout)")
            } else if let pinged = client.idlePingSentAt {
                if now - pinged >= grace {
                    core.dropIdle(session, why: .idle, explanation: "no reply to PING within \(settings.pingGrace)")
                }
            } else if now - client.lastInputAt >= idle {
                client.idlePingSentAt = now
                core.pingIdle(session, token: "idle-\(now / 1_000_000)")
            }
        }
    }

    /// Logs a connection that spoke the wrong protocol for its port (it is closed, never greeted).
    func refuseProtocolConfusion(_ client: ClientConnection, what: String) {
        logger.warning("refused: \(what)", metadata: ["peer": "\(client.connection.remoteAddress?.description ?? "?")"])
    }

    func closed(_ client: ClientConnection, reason: CloseReason) {
        clients[ObjectIdentifier(client)] = nil
        clientsPerHost[client.peerHost, default: 1] -= 1
        if clientsPerHost[client.peerHost] == 0 { clientsPerHost[client.peerHost] = nil }
        let why = LogFields.disconnectReason(ended: client.endReason, closed: reason)
        metrics.disconnects[why, default: 0] += 1
        if client.connection.security == .tls && !client.tlsOpened {
            metrics.handshakes[HandshakeOutcome.failure(closedWith: reason), default: 0] += 1
        }
        var metadata: Logger.Metadata = [
            "peer": "\(client.connection.remoteAddress?.description ?? "?")", "reason": "\(why)"]
        switch reason {
        case .handshakeFailed, .tlsFailure, .socketError, .connectFailed: metadata["detail"] = "\(LogFields.quoted("\(reason)"))"
        default: break
        }
        if let name = client.finalName {
            metadata["name"] = "\(name)"
            logger.info("disconnected", metadata: metadata)
        } else {
            logger.info("connection failed before the chat started", metadata: metadata)
        }
        if shuttingDown && clients.isEmpty { loop.stop() }
    }

    /// Ends, with `NOTICE revoked`, every session whose verified chain `context`'s CRLs list.
    func endRevokedSessions(by context: TLSContext) {
        for client in clients.values {
            guard let session = client.session, let tls = client.connection as? TLSConnection,
                  let revoked = tls.revokedCertificate(by: context) else { continue }
            logger.warning("certificate revoked during the session, closing", metadata: [
                "peer": "\(tls.remoteAddress?.description ?? "?")", "name": "\(session.name)",
                "serial": "\(revoked.serial)", "subject": "\(LogFields.quoted(revoked.subject))"])
            core.dropRevoked(session, serial: revoked.serial)
        }
    }

    /// A handshake that finished after a newer CRL revoked its certificate (ClientConnection+Revocation).
    func refusedRevokedAtHandshake(_ client: ClientConnection, _ revoked: RevokedCertificate) {
        logger.warning("certificate revoked while its handshake ran, closing", metadata: [
            "peer": "\(client.connection.remoteAddress?.description ?? "?")",
            "serial": "\(revoked.serial)", "subject": "\(LogFields.quoted(revoked.subject))"])
    }

    /// Stops accepting, tells everyone, closes every connection gracefully,
    /// and stops the loop once they are all gone.
    func shutDown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        sweepTimer?.cancel()
        for listener in listeners { listener.close() }
        listeners = []
        cancelRelayedHeaderReads()
        core.shutDown()
        for client in clients.values where client.session == nil { client.connection.close(.immediate) }  // IRC registration included
        if clients.isEmpty { loop.stop() }
    }
}
