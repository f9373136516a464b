// ClientConnection: glue between one ChatNet connection and its ChatCore
// session. Frames incoming bytes into bounded lines for the core, applies the
// per-client command rate (TokenBucket), records activity for the idle sweep,
// hands the core's encoded messages to the connection (room events as shared
// broadcasts), and reports the end. After STARTTLS it moves the session onto a
// TLS connection on the same socket (ClientConnection+StartTLS). It holds no
// chat rules; those are in ChatServerCore.
//
// Ownership: ChatServer holds this object while its connection lives; the
// session and this object point at each other (the core calls back through
// the link), so the session is let go when the connection ends, or every
// finished connection would stay allocated.
import ChatCore
import ChatIRC
import ChatNet

final class ClientConnection: ConnectionDelegate, ChatSessionLink {
    unowned let server: ChatServer
    /// Replaced once, by the TLS connection, when a plaintext client upgrades with STARTTLS.
    var connection: StreamConnection {
        didSet { unretainedConnection = Unmanaged.passUnretained(connection) }
    }
    /// `connection` without a reference count: `send` runs once per recipient of every room
    /// message, and retaining and releasing the connection there cost about a tenth of a
    /// fan-out's CPU. Valid while `connection` holds it (always: it is kept in step above).
    private var unretainedConnection: Unmanaged<StreamConnection>
    let transport: Transport
    let peerHost: String
    var framer: LineFramer
    /// Set while a STARTTLS upgrade waits for its handshake (see ClientConnection+StartTLS).
    var upgradingFrom: (name: String, discardedBytes: Int)?
    var commandRate: TokenBucket
    /// Refusals a client may collect: it refills at the command rate, so only a client
    /// sending far above its rate for a while (not a paste) runs out and is closed.
    var refusalAllowance: TokenBucket
    var session: ChatSession?
    /// The IRC edge of a connection on an IRC listener (ClientConnection+IRC); it is then
    /// the session's link, and this object only frames, rate-limits and writes for it.
    let speaksIRC: Bool
    var irc: IRCSession?
    /// Activity, in MonotonicClock nanoseconds, for ChatServer's idle sweep.
    var openedAt: UInt64 = 0
    var lastInputAt: UInt64 = 0
    var sentFirstCommand = false
    var idlePingSentAt: UInt64?
    /// A TLS handshake on this connection finished and was accepted (counted in ServerMetrics).
    var tlsOpened = false
    private var greetingTimer: LoopTimer?
    /// Why the core ended the session, when it did (else the transport's reason applies).
    private(set) var endReason: SessionEndReason?
    /// The name the session had when it ended (the session itself is let go then).
    private(set) var finalName: String?
    private let liveCount: LiveObjectCount

    init(server: ChatServer, connection: StreamConnection, transport: Transport, peerHost: String,
         settings: ChatServer.Settings, speaksIRC: Bool = false) {
        self.speaksIRC = speaksIRC
        self.server = server
        self.connection = connection
        unretainedConnection = Unmanaged.passUnretained(connection)
        self.transport = transport
        self.peerHost = peerHost
        liveCount = server.liveClients
        liveCount.value += 1
        framer = LineFramer(maximumLineLength: speaksIRC ? IRCLinePolicy.maximumLineBytes : settings.maximumLineLength)
        commandRate = TokenBucket(capacity: settings.commandBurst, refillPerSecond: settings.commandsPerSecond,
                                  now: MonotonicClock.now())
        refusalAllowance = TokenBucket(capacity: ClientConnection.refusalsBeforeFloodClose,
                                       refillPerSecond: settings.commandsPerSecond, now: MonotonicClock.now())
    }

    /// Reloaded limits: the next line is bounded by the new length, the command rate starts
    /// again from a full new bucket, and the output queue bound is the new one.
    func apply(_ settings: ChatServer.Settings) {
        if !speaksIRC { framer.maximumLineLength = settings.maximumLineLength }
        commandRate = TokenBucket(capacity: settings.commandBurst, refillPerSecond: settings.commandsPerSecond, now: MonotonicClock.now())
        refusalAllowance = TokenBucket(capacity: ClientConnection.refusalsBeforeFloodClose,
                                       refillPerSecond: settings.commandsPerSecond, now: MonotonicClock.now())
        connection.maximumBufferedOutput = settings.maximumQueuedOutput
    }

    /// Sent (unencrypted) to a TLS ClientHello on the plaintext port before closing.
    static let tlsOnPlaintextNotice = Array("NOTICE tls this port speaks plaintext chat/1, not TLS; closing\n".utf8)

    /// How many `ERR RATE_LIMITED` replies in a row (less the refill) close a connection.
    static let refusalsBeforeFloodClose = 256

    deinit {
        greetingTimer?.cancel()
        liveCount.value -= 1
    }

    func connectionDidOpen(_ connection: any Connection) {
        if refusedAsRevokedAfterHandshake() {  // ClientConnection+Revocation
            tlsOpened = true  // counted here, not again as a failure when it closes
            server.metrics.handshakes[.failure("revoked"), default: 0] += 1
            return
        }
        if connection.security == .tls {
            tlsOpened = true
            server.metrics.handshakes[.success, default: 0] += 1
        }
        if upgradingFrom != nil { return finishUpgrade() }
        if speaksIRC { return startIRC() }  // ClientConnection+IRC
        guard transport == .plain else { return startSession() }
        // A TLS client that dialled the plaintext port speaks first (a ClientHello, 0x16):
        // wait briefly for that, so it is refused before it is greeted or counted as a user.
        // unowned (cancelled at close and in deinit): a weak reference would slow every retain.
        greetingTimer = server.loop.schedule(after: .milliseconds(100)) { [unowned self] in startSession() }
    }

    /// What the core knows of this connection's security: the transport and, for a verified
    /// certificate only, its name and fingerprint.
    func currentCredentials(transport: Transport) -> ClientCredentials {
        var credentials = ClientCredentials(transport: transport)
        if let identity = connection.peerIdentity {  // set only for a verified certificate
            credentials.certificateCommonName = identity.commonName
            credentials.certificateFingerprint = "sha256:" + identity.fingerprintSHA256.filter { $0 != ":" }
            credentials.certificateNotAfter = identity.notAfter
        }
        return credentials
    }

    private func startSession() {
        guard session == nil, connection.state == .open else { return }
        greetingTimer?.cancel()
        let credentials = currentCredentials(transport: transport)
        openedAt = MonotonicClock.now()
        lastInputAt = openedAt
        let session = server.core.connect(link: self, credentials: credentials, now: HistoryKeeper.wallClockMilliseconds() / 1000)
        self.session = session
        server.opened(self, session: session)
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        if speaksIRC { return receiveIRC(bytes) }
        if session == nil {
            if transport == .plain, bytes.first == 0x16 {  // a TLS record on the plaintext port
                server.refuseProtocolConfusion(self, what: "TLS handshake on the plaintext port")
                // One plaintext line first, so a TLS client can tell its user what it dialled.
                ClientConnection.tlsOnPlaintextNotice.withUnsafeBytes { connection.write($0) }
                return connection.close(.graceful)
            }
            startSession()
        }
        guard let session else { return }
        let now = MonotonicClock.now()
        lastInputAt = now
        idlePingSentAt = nil
        let events = framer.feed(bytes)
        for (index, event) in events.enumerated() {
            switch event {
            case .line(let line):
                guard !CommandParser.isBlank(line) else { continue }  // not a command: no reply, no rate token
                sentFirstCommand = true
                if commandRate.take(now: now) {
                    server.core.receive(line: line, from: session)
                    if upgradingFrom != nil { return discardPipelined(events[(index + 1)...]) }
                } else if refusalAllowance.take(now: now) {
                    server.core.refuseRateLimited(session)
                } else {
                    server.core.dropFlooding(session)
                    return
                }
            case .tooLong: server.core.lineTooLong(from: session)
            }
        }
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        greetingTimer?.cancel()
        greetingTimer = nil
        irc?.connectionClosed()
        irc = nil  // breaks the IRC edge <-> transport cycle
        if let session {
            server.core.disconnect(session)
            finalName = session.name
        }
        session = nil  // breaks the session <-> link cycle
        server.closed(self, reason: reason)
    }

    // MARK: ChatSessionLink

    func send(_ message: OutboundMessage) -> Bool {
        unretainedConnection._withUnsafeGuaranteedRef { connection in
            // While a STARTTLS handshake runs, events queue on the TLS connection and follow it.
            guard connection.state == .open || connection.state == .handshaking else { return false }
            if message.isBroadcast {
                message.bytes.withUnsafeBytes { connection.write($0, sharedAs: message) }
            } else {
                message.bytes.withUnsafeBytes { connection.write($0) }
            }
            return connection.state == .open || connection.state == .handshaking  // a full queue closes it instead
        }
    }

    /// The connection, when it can follow a room's shared output (ConnectionRoomBroadcast):
    /// chat/1, open, and not switching to TLS.
    var followableConnection: StreamConnection? {
        !speaksIRC && upgradingFrom == nil && connection.state == .open ? connection : nil
    }

    func closeAfterFlush(_ reason: SessionEndReason) {
        if endReason == nil { endReason = reason }
        connection.close(.graceful)
    }

    var outputRoom: Int { max(0, connection.maximumBufferedOutput - connection.bufferedOutputByteCount) }

    func sessionRenamed(from oldName: String, to newName: String) {
        server.renamed(self, from: oldName, to: newName)
    }
}
