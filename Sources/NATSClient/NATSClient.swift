// NATSClient: a NATS client connection driven by ChatNet's EventLoop (one
// thread, non-blocking), for the layers that need a message bus. It knows
// nothing of what the messages mean.
//
// This file holds the client's state and one connection's life: pick a
// server, TCP connect, read INFO, upgrade to TLS when the URL, the options or
// the server ask for it (CONNECT is never sent in plaintext then), send
// CONNECT and PING, and count the connection as up at the PONG. Input is fed
// to a NATSProtocolParser; a protocol error closes the connection with its
// reason. Publishing and buffering (NATSClient+Publishing), subscriptions
// (+Subscriptions), request/reply (+Requests), and keep-alive, reconnect and
// the server pool (+Reconnect) are in their own files. Everything must be used
// on the loop's thread. Authentication: user/password, token, nkey (NATSNKey),
// user JWT with its seed (.creds files: NATSUserCredentials; both in
// +Authentication) and TLS client certificates. Not supported: WebSocket,
// TLS-first handshakes (nats-server 2.10+), lame-duck handling beyond
// reconnecting when the server goes.
import ChatNet
import Foundation

public final class NATSClient: ConnectionDelegate {
    public enum State: Sendable, Equatable {
        case idle, connecting, connected, reconnecting, closed
    }

    public let loop: EventLoop
    public let options: NATSClientOptions
    /// Receives state changes and server errors, on the loop thread.
    public var onEvent: ((NATSClientEvent) -> Void)?
    /// Further receivers of the same events (NATSClient+Observers), for layers sharing the client.
    var observers: [(token: UInt64, handler: (NATSClientEvent) -> Void)] = []
    var nextObserverToken: UInt64 = 1

    public internal(set) var state: State = .idle
    /// The INFO of the current (or last) server.
    public internal(set) var serverInfo: NATSServerInfo?
    /// The server of the current connection or attempt.
    public internal(set) var currentServer: NATSServerURL?

    // Connection in progress or up.
    enum Phase { case awaitingInfo, tlsHandshake, awaitingConnectPong, up }
    var connection: (any Connection)?
    var phase: Phase = .awaitingInfo
    var parser: NATSProtocolParser
    var connectTimer: LoopTimer?
    var pingTimer: LoopTimer?
    var pingsOutstanding = 0
    /// Why the current connection is ending, when we (or the server's -ERR) know better than the socket.
    var pendingCloseReason: String?
    var tlsContexts: [String: TLSContext] = [:]
    /// The parsed `options.nkeySeed` or credentials' seed (parsed on the first CONNECT).
    var nkey: NATSNKey?

    // Server pool and reconnecting.
    var servers: [NATSServerURL]
    var serverIndex = 0
    var failedAttempts = 0
    var authorizationFailures = 0
    var lastAttemptWasAuthorizationFailure = false
    var hasConnectedOnce = false
    /// When the current connection came up (MonotonicClock), to tell a stable one from a flapping one.
    var upSince: UInt64 = 0
    var reconnectTimer: LoopTimer?

    /// A publish was refused with wouldBlock and `.writable` has not been reported yet.
    var awaitingDrain = false

    // Outgoing data while disconnected.
    var reconnectBuffer: [[UInt8]] = []
    var reconnectBufferBytes = 0

    // Subscriptions and requests.
    var subscriptions: [UInt64: NATSSubscription] = [:]
    var nextSid: UInt64 = 1
    var inboxPrefix: String
    var inboxSubscription: NATSSubscription?
    var pendingRequests: [String: PendingRequest] = [:]
    var nextRequestToken: UInt64 = 1

    public init(loop: EventLoop, options: NATSClientOptions) {
        precondition(!options.servers.isEmpty, "a NATS client needs at least one server URL")
        self.loop = loop
        self.options = options
        self.servers = Array(options.servers.prefix(max(1, options.maximumKnownServers)))
        self.parser = NATSProtocolParser(maximumControlLine: options.maximumControlLine)
        self.inboxPrefix = "_INBOX." + NATSClient.randomToken(length: 22)
    }

    /// Starts connecting to the first server. Progress is reported through `onEvent`.
    public func start() {
        guard state == .idle else { return }
        state = .connecting
        attemptConnection()
    }

    /// Stops for good: pending requests fail with `.closed`, buffered publishes are dropped,
    /// the connection is flushed and closed. Safe to call more than once.
    public func close() {
        shutDown(reason: "closed by the caller")
    }

    /// The servers known now: seeds first, then those learned from INFO.
    public var knownServers: [NATSServerURL] { servers }

    func report(_ event: NATSClientEvent) {
        onEvent?(event)
        for observer in observers { observer.handler(event) }
    }

    // MARK: One connection attempt

    func attemptConnection() {
        guard state != .closed else { return }
        let server = servers[serverIndex % servers.count]
        currentServer = server
        phase = .awaitingInfo
        pingsOutstanding = 0
        pendingCloseReason = nil
        parser = NATSProtocolParser(maximumControlLine: options.maximumControlLine)
        let opened: PlainConnection
        do {
            guard let address = try SocketAddress.resolve(server.hostAndPort).first else {
                return attemptFailed("\(server.host) has no address")
            }
            opened = try PlainConnection.connect(to: address, loop: loop)
        } catch {
            return attemptFailed("\(error)")
        }
        opened.maximumBufferedOutput = options.outgoingBufferLimit + 1024 * 1024  // commands' slack past the publish limit
        opened.delegate = self
        connection = opened
        connectTimer = loop.schedule(after: options.connectTimeout) { [weak self] in
            self?.dropConnection(because: "no connection within \(self?.options.connectTimeout ?? .zero)")
        }
        do {
            try opened.start()
        } catch {
            pendingCloseReason = "\(error)"  // the close callback follows and reports it
        }
    }

    /// Closes the current connection (its close callback decides what next).
    func dropConnection(because reason: String) {
        guard let connection else { return }
        if pendingCloseReason == nil { pendingCloseReason = reason }
        connection.close(.immediate)
    }

    // MARK: ConnectionDelegate

    public func connectionDidOpen(_ connection: any Connection) {
        guard connection === self.connection else { return }
        if phase == .tlsHandshake { sendConnect() }  // plain: wait for INFO
    }

    public func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        parser.append(bytes)
        do {
            while connection === self.connection, let operation = try parser.next() {
                handle(operation)
            }
        } catch {
            dropConnection(because: error.description)
        }
    }

    public func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        guard connection === self.connection else { return }
        self.connection = nil
        connectTimer?.cancel()
        pingTimer?.cancel()
        let why = pendingCloseReason ?? Self.explain(reason)
        pendingCloseReason = nil
        guard state != .closed else { return }
        if phase == .up {
            connectionLost(why)
        } else {
            attemptFailed(why)
        }
    }

    static func explain(_ reason: CloseReason) -> String {
        switch reason {
        case .peerClosed, .eofWithoutCloseNotify, .reset: return "the server closed the connection (\(reason))"
        default: return reason.description
        }
    }

    // MARK: Server operations

    func handle(_ operation: NATSServerOperation) {
        switch operation {
        case .info(let info): receivedInfo(info)
        case .message(let message): deliver(message)
        case .ping: connection?.write(NATSCommandEncoder.pong)
        case .pong:
            if phase == .awaitingConnectPong { connectionIsUp() } else { pingsOutstanding = 0 }
        case .ok: break
        case .error(let text): receivedServerError(text)
        }
    }

    private func receivedInfo(_ info: NATSServerInfo) {
        serverInfo = info
        parser.maximumPayload = min(info.maximumPayload, options.maximumIncomingPayload)
        learnServers(info.connectURLs)
        guard phase == .awaitingInfo else { return }  // a later INFO only updates what we know
        guard let server = currentServer, let plain = connection as? PlainConnection else { return }
        let wantTLS = server.requiresTLS || options.tls != nil
        if wantTLS && !info.tlsRequired && !info.tlsAvailable {
            return dropConnection(because: "TLS is required for \(server) but the server does not offer TLS")
        }
        guard wantTLS || info.tlsRequired else { return sendConnect() }
        // Nothing may follow INFO before the handshake: bytes that did were sent in
        // plaintext (perhaps injected) and must never be read as if they came over TLS.
        guard parser.bufferedByteCount == 0 else {
            return dropConnection(because: "the server sent \(parser.bufferedByteCount) bytes after INFO before the TLS handshake")
        }
        parser = NATSProtocolParser(maximumControlLine: options.maximumControlLine, maximumPayload: parser.maximumPayload)
        do {
            let tls = try plain.upgradeToTLS(context: try tlsContext(), serverName: options.tlsServerName ?? server.host)
            phase = .tlsHandshake
            tls.delegate = self
            connection = tls
            try tls.start()
        } catch {
            pendingCloseReason = "TLS to \(server) failed: \(error)"
            if connection === plain { plain.close(.immediate) }  // upgrade refused: the plain one still owns the socket
        }
    }

    private func tlsContext() throws(TLSError) -> TLSContext {
        let configuration = options.tls ?? TLSConfiguration.client(trustRoots: .system)
        let key = "\(configuration.trustRoots.map { "\($0)" } ?? "")|\(configuration.certificateChainFile ?? "")"
        if let context = tlsContexts[key] { return context }
        let context = try TLSContext(configuration)
        tlsContexts[key] = context
        return context
    }

    private func sendConnect() {
        guard let connection, let server = currentServer else { return }
        var fields = NATSConnectFields(
            name: options.name, user: server.user ?? options.user, password: server.password ?? options.password,
            token: server.token ?? options.token, tlsRequired: connection.security == .tls, echo: options.echo)
        switch addKeyCredentials(to: &fields) {
        case .ready: break
        case .refusedByServer(let reason): return dropConnection(because: reason)
        case .unusable(let reason): return shutDown(reason: reason)  // a bad seed stays bad: retrying cannot help
        }
        connection.write(NATSCommandEncoder.connect(json: fields.json()))
        connection.write(NATSCommandEncoder.ping)
        phase = .awaitingConnectPong
    }

    private func connectionIsUp() {
        guard let server = currentServer else { return }
        phase = .up
        connectTimer?.cancel()
        upSince = MonotonicClock.now()
        authorizationFailures = 0
        renewSubscriptions()
        sendReconnectBuffer()
        startKeepAlive()
        let wasReconnect = hasConnectedOnce
        hasConnectedOnce = true
        state = .connected
        report(wasReconnect ? .reconnected(server) : .connected(server))
    }

    private func receivedServerError(_ text: String) {
        report(.serverError(text))
        let lowered = text.lowercased()
        if lowered.contains("authorization violation") || lowered.contains("authentication") {
            lastAttemptWasAuthorizationFailure = true
        }
        // The server closes the connection after a fatal error; this is its reason.
        if !lowered.hasPrefix("permissions violation") && !lowered.contains("invalid subject") {
            pendingCloseReason = "server error: \(text)" + authorizationExplanation(for: text)
        }
    }

    // MARK: Helpers

    static func randomToken(length: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet[Int(generator.next(upperBound: UInt64(alphabet.count)))] })
    }
}
