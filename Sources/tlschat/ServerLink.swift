// ServerLink: the client's one connection to the server, over TLS (verified
// against the host name the user typed) or, only when asked, plain TCP.
//
// Tries the resolved addresses in order until a TCP connect succeeds; a TLS
// handshake or verification failure is final (never retried elsewhere, never
// downgraded to plaintext). Splits incoming bytes into lines (bounded) and
// reports the end of the connection once, as a `DisconnectCause`. `restart()`
// (for --reconnect) starts over with the same addresses and the same TLS
// context, so a new connection is verified exactly like the first. It also
// reports what the transport reveals about a mistake: a --cert the server
// never asked for (`UnusedCertificateWarning`), and a --plain connection to a
// port that speaks TLS (`PlaintextPortCheck`: after a short silence it sends
// blank lines and watches for a TLS record or a hang-up). With --starttls it
// connects in plaintext, sends only STARTTLS (StartTLSNegotiation), and on
// `OK STARTTLS` switches the same socket to TLS, verified exactly as a TLS
// connection; any other answer, or bytes after `OK STARTTLS` before the
// handshake, end it: it never continues in plaintext. It does not interpret
// lines; the session does.
import ChatClient
import ChatCore
import ChatNet

final class ServerLink: ConnectionDelegate {
    enum Transport {
        case tls(TLSContext, serverName: String)
        case plain
        /// Plaintext port, upgraded with STARTTLS before anything else is sent.
        case startTLS(TLSContext, serverName: String)
    }

    /// The longest line accepted from the server. chat/1 says clients accept lines of any
    /// length (events add room, name and trust to a text of up to the server's --max-line,
    /// at most 1 MiB); this bound only stops a broken server from exhausting memory.
    static let maximumLineLength = 4 << 20
    /// How long --starttls waits for the plaintext greeting and `OK STARTTLS` (the TLS
    /// handshake that follows has its own deadline).
    static let startTLSDeadlineSeconds = 5

    private let loop: EventLoop
    private let allAddresses: [SocketAddress]
    private var addresses: ArraySlice<SocketAddress>
    private let transport: Transport
    private var connection: (any Connection)?
    private var currentAddress: SocketAddress?
    private var framer = LineFramer(maximumLineLength: ServerLink.maximumLineLength)
    private var failedAttempts: [String] = []
    private var plainCheck = PlaintextPortCheck()
    private var probeTimer: LoopTimer?
    /// Set while a --starttls connection is still plaintext.
    private var negotiation: StartTLSNegotiation?
    private(set) var isClosed = false

    var onOpen: (_ description: String) -> Void = { _ in }
    /// Something the user should know about the connection that just opened.
    var onWarning: (String) -> Void = { _ in }
    var onLine: (String) -> Void = { _ in }
    var onEnd: (DisconnectCause) -> Void = { _ in }

    init(loop: EventLoop, addresses: [SocketAddress], transport: Transport) {
        self.loop = loop
        self.allAddresses = addresses
        self.addresses = addresses[...]
        self.transport = transport
    }

    /// After the end was reported: connects again from the first address, same transport.
    func restart() {
        precondition(isClosed && !isShuttingDown, "restart only after the previous connection ended")
        connection = nil
        currentAddress = nil
        addresses = allAddresses[...]
        framer = LineFramer(maximumLineLength: ServerLink.maximumLineLength)
        failedAttempts = []
        negotiation = nil
        plainCheck = PlaintextPortCheck()
        isClosed = false
        start()
    }

    /// Connects to the next address (the first, on the first call).
    func start() {
        while let address = addresses.popFirst() {
            currentAddress = address
            do {
                let next: any Connection
                switch transport {
                case .tls(let context, let serverName):
                    next = try TLSConnection.connect(to: address, serverName: serverName, loop: loop, context: context)
                case .plain, .startTLS:
                    next = try PlainConnection.connect(to: address, loop: loop)
                }
                next.delegate = self
                next.maximumBufferedOutput = 1 << 20  // a server that stops reading cannot make us grow
                connection = next
                try next.start()
                return
            } catch {
                connection = nil
                failedAttempts.append("\(address): \(error)")
            }
        }
        end(.connectFailed(failedAttempts.joined(separator: "; ")))
    }

    /// Sends one protocol line (appends "\n").
    func send(_ line: String) {
        connection?.write(line + "\n")
    }

    /// Closes gracefully (flushes what was queued); no end report follows.
    func close() {
        isClosed = true
        cancelProbe()
        connection?.close(.graceful)
    }

    /// True while a connection is still shutting down.
    var isShuttingDown: Bool {
        guard let connection else { return false }
        return connection.state != .closed
    }

    // MARK: ConnectionDelegate

    func connectionDidOpen(_ connection: any Connection) {
        guard connection === self.connection else { return }  // a connection given up on earlier
        if case .startTLS = transport, connection.security == .plain {
            negotiation = StartTLSNegotiation()  // not open for the session until TLS is up
            probeTimer = loop.schedule(after: .seconds(Self.startTLSDeadlineSeconds)) { [weak self] in
                guard let self, negotiation != nil, let connection = self.connection else { return }
                abandon(connection, "STARTTLS failed: no chat/1 plaintext greeting and OK STARTTLS within \(Self.startTLSDeadlineSeconds) s (is this the TLS port? then drop --starttls)")
            }
            return
        }
        var description = connection.securityDescription
        if let address = connection.remoteAddress { description += " to \(address)" }
        switch transport {
        case .tls(let context, let serverName), .startTLS(let context, let serverName):
            guard let peer = connection.peerIdentity else { break }
            let pins = context.configuration.serverKeyPins
            if pins.isEmpty {
                description += ", server certificate verified for \(serverName) (\(peer.subject))"
            } else if context.configuration.trustRoots == nil {
                description += ", server key matches --pin (\(peer.subject); no CA: the pin alone identifies the server)"
            } else {
                description += ", server certificate verified for \(serverName) (\(peer.subject)) and its key matches --pin"
            }
        case .plain: break
        }
        if case .startTLS = transport { description += ", upgraded from plaintext with STARTTLS" }
        onOpen(description)
        switch transport {
        case .tls(let context, _), .startTLS(let context, _):
            let requested = (connection as? TLSConnection)?.serverRequestedCertificate ?? false
            if let warning = UnusedCertificateWarning.text(certificateGiven: context.configuration.certificateChainFile != nil,
                                                           serverRequestedCertificate: requested) {
                onWarning(warning)
            }
        case .plain:
            probeTimer = loop.schedule(after: .milliseconds(PlaintextPortCheck.probeDelayMilliseconds)) { [weak self] in
                guard let self, let probe = plainCheck.probeIsDue(), !isClosed else { return }
                self.connection?.write(probe)
            }
        }
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        if case .plain = transport, let verdict = plainCheck.received(bytes) {
            connection.close(.immediate)
            return end(verdict)
        }
        if negotiation != nil { return negotiate(connection, bytes) }
        for event in framer.feed(bytes) {
            guard !isClosed else { return }
            switch event {
            case .line(let bytes):
                onLine(String(decoding: bytes, as: UTF8.self))
            case .tooLong:
                connection.close(.immediate)
                end(.other("the server sent a line longer than \(Self.maximumLineLength) bytes"))
                return
            }
        }
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        guard connection === self.connection else { return }
        if case .connectFailed(let error) = reason, !isClosed {
            failedAttempts.append("\(currentAddress.map { "\($0)" } ?? "?"): \(error)")
            self.connection = nil
            if !addresses.isEmpty { return start() }
            return end(.connectFailed(failedAttempts.joined(separator: "; ")))
        }
        end(plainCheck.explain(Self.cause(of: reason)))
    }

    /// The plaintext part of --starttls: only STARTTLS is sent; nothing received is shown.
    private func negotiate(_ connection: any Connection, _ bytes: UnsafeRawBufferPointer) {
        let events = framer.feed(bytes)
        for (index, event) in events.enumerated() {
            guard case .line(let line) = event, var negotiation else {
                return abandon(connection, "the server sent an over-long line before STARTTLS")
            }
            let step = negotiation.received(line: String(decoding: line, as: UTF8.self))
            self.negotiation = negotiation
            switch step {
            case .wait: continue
            case .send(let line): connection.write(line + "\n")
            case .fail(let reason): return abandon(connection, "STARTTLS failed: \(reason)")
            case .upgrade:
                guard index == events.count - 1, framer.bufferedByteCount == 0 else {
                    return abandon(connection, "STARTTLS failed: the server sent data after OK STARTTLS, before the TLS handshake (refused: it could be injected)")
                }
                return upgrade(connection)
            }
        }
    }

    private func upgrade(_ connection: any Connection) {
        guard case .startTLS(let context, let serverName) = transport, let plain = connection as? PlainConnection else { return }
        self.negotiation = nil
        cancelProbe()
        do {
            let tls = try plain.upgradeToTLS(context: context, serverName: serverName)
            tls.delegate = self
            self.connection = tls
            try tls.start()
        } catch {
            abandon(connection, "STARTTLS failed: \(error)")
        }
    }

    private func abandon(_ connection: any Connection, _ reason: String) {
        negotiation = nil
        connection.close(.immediate)
        end(.other(reason))
    }

    private func end(_ cause: DisconnectCause) {
        guard !isClosed else { return }
        isClosed = true
        cancelProbe()
        onEnd(cause)
    }

    private func cancelProbe() {
        probeTimer?.cancel()
        probeTimer = nil
    }

    static func cause(of reason: CloseReason) -> DisconnectCause {
        switch reason {
        case .peerClosed: return .serverClosed
        case .eofWithoutCloseNotify: return .closedWithoutNotify
        case .reset: return .reset
        case .handshakeTimeout: return .handshakeTimeout
        case .handshakeFailed(let error): return .handshakeFailed(error.description)
        case .tlsFailure(let error): return .tlsFailure(error.description)
        case .connectFailed(let error): return .connectFailed("\(error)")
        case .localClose, .socketError, .closeTimeout, .outputLimitExceeded: return .other(reason.description)
        }
    }
}
