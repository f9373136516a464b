// TLSConnection+Upgrade: a TLS connection that takes over the socket of an open
// plaintext connection (STARTTLS; PlainConnection+StartTLS hands the socket
// over). A server context accepts, a client context connects and verifies the
// name it is given. Before the handshake reads or writes anything, the
// plaintext bytes the old connection still owed (ending with `OK STARTTLS`)
// are written raw; nothing is read meanwhile, so bytes the peer sent after
// STARTTLS stay in the kernel and reach the handshake, which fails on them.
// This file reads no plaintext and decides no policy: the caller chooses the
// context.
internal import CTLSShim

extension TLSConnection {
    /// Takes over `socket`, which an open plaintext connection gives up: a server context
    /// (no `serverName`) accepts, a client context connects and verifies `serverName`.
    /// `plaintextPrefix` goes out first, raw. On failure nothing owns the socket yet: the
    /// plaintext connection still does (and its caller closes it).
    convenience init(upgrading socket: Socket, loop: EventLoop, context: TLSContext, serverName: String?,
                     plaintextPrefix: [UInt8]) throws(TLSError) {
        precondition((context.configuration.role == .client) == (serverName != nil), "a client names its server; a server does not")
        let ssl = try context.makeSession(descriptor: socket.descriptor, serverName: serverName)
        if serverName == nil { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.init(socket: socket, loop: loop, context: context, ssl: ssl, serverName: serverName, connecting: false,
                  plaintextPrefix: plaintextPrefix)
    }

    /// Writes what is left of the plaintext prefix; nil once all of it is sent. Nothing is
    /// read meanwhile: bytes the peer sent after STARTTLS wait in the kernel for the handshake.
    func sendPlaintextPrefix() -> TransportStep? {
        while plaintextPrefixSent < plaintextPrefix.count {
            let sent = plaintextPrefix.withUnsafeBytes { bytes in
                Result { () throws(Errno) in try socket.write(UnsafeRawBufferPointer(rebasing: bytes[plaintextPrefixSent...])) }
            }
            switch sent {
            case .success(.done(let count)): plaintextPrefixSent += count
            case .success(.wouldBlock(let needs)): return .wouldBlock(needs: needs)
            case .failure(let error): return .end(PlainConnection.reason(for: error))
            }
        }
        if !plaintextPrefix.isEmpty { plaintextPrefix = [] }
        return nil
    }
}
