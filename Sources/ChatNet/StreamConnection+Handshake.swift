// StreamConnection+Handshake: the steps between a socket and an open
// connection: finishing a non-blocking connect, then driving the transport's
// handshake (nothing for plaintext, TLS for TLSConnection) until it succeeds,
// needs the socket to become readable or writable again, or fails; on success
// the delegate hears `connectionDidOpen` and any output queued meanwhile is
// flushed. It does not read or write application data.

extension StreamConnection {
    func finishConnect() {
        if let error = socket.finishConnect() { return finish(.connectFailed(error)) }
        remoteAddress = try? socket.peerAddress()
        state = .handshaking
        advanceHandshake()
    }

    func advanceHandshake() {
        switch transportHandshake() {
        case .wouldBlock(let needs):
            handshakeNeeds = needs
            updateInterest()
        case .end(let reason):
            finish(reason)
        case .progress:
            transportHandshakeEnded()
            state = .open
            updateInterest()
            delegate?.connectionDidOpen(self)
            guard state == .open else { return }
            if !output.isEmpty || !sharedRun.isEmpty { requestFlush() }
            if transportHasBufferedInput { loop.readAgain(self) }  // app data that came with the handshake
        }
    }
}
