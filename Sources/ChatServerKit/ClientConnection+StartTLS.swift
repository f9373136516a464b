// ClientConnection+StartTLS: the server side of STARTTLS on the plaintext
// listener. When the core accepts STARTTLS (its `OK STARTTLS` already queued),
// the plaintext connection hands its socket to a TLS connection made with the
// TLS listener's context (ChatServer.startTLSContext: same policy, same
// client-certificate rules, same handshake deadline) and this object becomes
// that connection's delegate. Input already read behind STARTTLS is dropped
// here, unexecuted (and the core ignores it too); input still in the kernel
// reaches the handshake, which fails on it. When the handshake is done the
// core re-evaluates the identity (with the wall clock, for the expiry notice)
// and the server logs one line. A failed
// handshake ends the session like any disconnect. No chat rules here.
import ChatCore
import ChatNet

extension ClientConnection {
    // MARK: ChatSessionLink

    func startTLS() {
        guard let plain = connection as? PlainConnection, let session else {
            return connection.close(.immediate)  // never continue in plaintext
        }
        upgradingFrom = (session.name, framer.bufferedByteCount)
        framer = LineFramer(maximumLineLength: framer.maximumLineLength)  // a partial line behind STARTTLS: gone
        do {
            let upgraded = try plain.upgradeToTLS(context: server.startTLSContext)
            upgraded.delegate = self
            connection = upgraded
            try upgraded.start()
        } catch {
            server.startTLSFailed(self, error: "\(error)")
            connection.close(.immediate)
        }
    }

    /// Lines that arrived in the same read as STARTTLS, after it: counted for the log, never run.
    func discardPipelined(_ events: ArraySlice<LineFramer.Event>) {
        var bytes = 0
        for event in events {
            if case .line(let line) = event { bytes += line.count + 1 }
        }
        upgradingFrom?.discardedBytes += bytes
    }

    /// The handshake after STARTTLS is done: the core learns the new credentials.
    func finishUpgrade() {
        guard let (oldName, discarded) = upgradingFrom, let session else { return }
        upgradingFrom = nil
        server.core.upgraded(session, credentials: currentCredentials(transport: .tls),
                             now: HistoryKeeper.wallClockMilliseconds() / 1000)
        server.upgraded(self, session: session, from: oldName, discardedBytes: discarded)
    }
}
