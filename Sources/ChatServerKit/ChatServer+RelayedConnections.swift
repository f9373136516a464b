// ChatServer+RelayedConnections: the accept path of a listener behind a TCP
// load balancer that speaks the PROXY protocol v2 (tlschatd --proxy-protocol).
// A connection from an address outside the trusted ranges is closed at once;
// one from a trusted balancer has its header read first (ProxyHeaderReader,
// under the handshake timeout, before the TLS handshake or the greeting), and
// the client address it relays (PROXY command; LOCAL keeps the balancer's
// own) becomes the connection's peer for the per-address limit, the logs and
// everything else. A refused connection gets one log line naming why (20 in
// a burst, then one a second, each counting those left out since: a flood
// must not flood the log), and nothing else: other clients are not affected. Parsing is ProxyHeaderParser's
// (ChatNet); the ordinary accept path is ChatServer's.
import ChatCore
import ChatNet
import Logging

extension ChatServer {
    /// Who may send a PROXY header on a listener, and how long it may take.
    struct RelayPolicy {
        /// The load balancers' addresses (--proxy-trusted).
        var trusted: [NetworkPrefix]
        /// How long a header may take to arrive (the handshake timeout).
        var headerTimeout: Duration

        func trusts(_ address: SocketAddress) -> Bool { trusted.contains { $0.contains(address) } }
    }

    func acceptRelayed(_ socket: Socket, transport: Transport, dialect: Dialect, relay: RelayPolicy) {
        guard let balancer = try? socket.peerAddress() else {
            socket.close()
            return
        }
        guard relay.trusts(balancer) else {
            socket.close()
            return logRelayRefusal("refused: connection to a PROXY protocol listener from an untrusted address", [
                "peer": "\(balancer)", "reason": "not in --proxy-trusted (only trusted load balancers may relay a client address)"])
        }
        // Only the overall limit applies while the header is read: every relayed client
        // shares the balancer's address, so the per-address limit waits for the relayed one.
        guard connectionCount + relayedHeaderReads.count < settings.maximumClients else {
            socket.close()
            return noteRefusal(balancer.host)
        }
        let reader = ProxyHeaderReader(socket: socket, loop: loop)
        relayedHeaderReads[ObjectIdentifier(reader)] = reader  // first: a failed start completes at once
        reader.start(timeout: relay.headerTimeout) { [unowned self, unowned reader] socket, result in
            self.relayedHeaderReads[ObjectIdentifier(reader)] = nil
            self.headerRead(socket, result, from: balancer, transport: transport, dialect: dialect)
        }
    }

    private func headerRead(_ socket: Socket, _ result: Result<ProxyHeader, ProxyHeaderReader.Failure>,
                            from balancer: SocketAddress, transport: Transport, dialect: Dialect) {
        let header: ProxyHeader
        switch result {
        case .success(let read):
            header = read
        case .failure(let failure):
            socket.close()
            return logRelayRefusal("refused: bad PROXY protocol header", [
                "peer": "\(balancer)", "reason": "\(LogFields.quoted(failure.description))"])
        }
        let client = header.source ?? balancer  // LOCAL: the balancer's own connection (a health check)
        guard admits(host: client.host) else {
            socket.close()
            return noteRefusal(client.host)
        }
        start(socket, host: client.host, relayedPeer: header.source, transport: transport, dialect: dialect)
    }

    private func logRelayRefusal(_ message: Logger.Message, _ metadata: Logger.Metadata) {
        guard relayRefusalLog.take(now: MonotonicClock.now()) else {
            relayRefusalsNotLogged += 1
            return
        }
        var metadata = metadata
        if relayRefusalsNotLogged > 0 { metadata["not-logged-before"] = "\(relayRefusalsNotLogged)" }
        relayRefusalsNotLogged = 0
        logger.warning(message, metadata: metadata)
    }

    /// Closes every connection still sending its PROXY header (at shutdown).
    func cancelRelayedHeaderReads() {
        for reader in relayedHeaderReads.values { reader.cancel() }
        relayedHeaderReads = [:]
    }
}
