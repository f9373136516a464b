// PlainConnection+StartTLS: switches an open plaintext connection to TLS on the
// same socket (chat/1's STARTTLS), for a server or a client.
//
// The plaintext connection hands its socket to a new `TLSConnection` and goes
// quiet at once: it is deregistered, reads nothing more and never closes the
// socket (the TLS connection owns it from then on). Output it had not sent yet
// (the replies up to and including `OK STARTTLS`) is sent raw by the TLS
// connection before its handshake. Input is never carried over: bytes the peer
// sent after STARTTLS that are still in the kernel reach the TLS handshake
// (which fails on them); bytes already read were delivered to the delegate
// and are the layer above's to discard. The handshake deadline is the TLS
// context's, as for any TLS connection. This file decides no policy: the
// caller chooses the context (and so the verification rules).

extension PlainConnection {
    /// Returns a TLS connection on this connection's socket; this connection is finished
    /// without closing the socket or telling its delegate. Set the new connection's
    /// delegate, then `start()` it. A server passes a server context and no `serverName`;
    /// a client a client context and the name to verify. On failure this connection is
    /// left as it was (the caller closes it).
    public func upgradeToTLS(context: TLSContext, serverName: String? = nil) throws(TLSError) -> TLSConnection {
        guard state == .open, !peerFinishedSending else {
            throw TLSError(operation: "STARTTLS", reasons: ["the plaintext connection is no longer open"])
        }
        if !followedGroups.isEmpty { takeFollowedBytes() }
        if !sharedRun.isEmpty { keepSharedRun() }
        let owed = Array(output.front)
        let upgraded = try TLSConnection(upgrading: socket, loop: loop, context: context, serverName: serverName,
                                         plaintextPrefix: owed)
        upgraded.maximumBufferedOutput = maximumBufferedOutput
        upgraded.gracefulCloseTimeout = gracefulCloseTimeout
        retireForUpgrade()
        return upgraded
    }

    /// Stops this connection for good without closing its socket, which has a new owner.
    private func retireForUpgrade() {
        state = .closed
        closeTimer?.cancel()
        closeTimer = nil
        if let registration { loop.deregister(registration) }
        registration = nil
        output.removeAll()
        sharedRun = 0..<0
        leaveFollowedGroups()
        delegate = nil
    }
}
