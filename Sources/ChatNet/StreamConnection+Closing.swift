// StreamConnection+Closing: how a connection ends. A graceful close flushes
// queued output (bounded by `gracefulCloseTimeout`), sends TLS close_notify,
// half-closes TCP and lingers briefly until the peer's EOF, so unread input
// cannot turn the last reply into a reset. `finish` is the single exit: it
// deregisters at once and releases the descriptor and tells the delegate after
// the current iteration, exactly once. Reading and writing are in
// StreamConnection.swift.

extension StreamConnection {
    func beginGracefulClose(reportingWhenDone reason: CloseReason) {
        if !followedGroups.isEmpty {  // what was gathered while open is still sent
            takeFollowedBytes()
            leaveFollowedGroups()
        }
        state = .closing
        closeReasonWhenDrained = reason
        closeTimer = loop.schedule(after: gracefulCloseTimeout) { [unowned self] in  // cancelled in finish and deinit
            finish(state == .lingering ? closeReasonWhenDrained : .closeTimeout)
        }
        if output.isEmpty && sharedRun.isEmpty { sendShutdown() } else { requestFlush() }
    }

    func sendShutdown() {
        switch transportShutdown() {
        case .wouldBlock(let needs):
            writeNeeds = needs
            updateInterest()
        case .end, .progress:
            if peerFinishedSending { return finish(closeReasonWhenDrained) }  // close(2) sends our FIN
            socket.shutdownWrite()
            state = .lingering  // wait for the peer's EOF so unread input cannot turn into a reset
            updateInterest()
        }
    }

    func discardUntilEOF() {
        var budget = Self.readBudgetPerWakeup
        while budget > 0 {  // bounded: level-triggered readiness brings us back
            switch (try? socket.read(into: loop.readScratch)) ?? .done(0) {
            case .done(0): return finish(closeReasonWhenDrained)
            case .done(let count): budget -= count
            case .wouldBlock: return
            }
        }
    }

    /// Closes with a TCP reset (drops queued output; the peer sees ECONNRESET).
    func abortWithReset() {
        socket.setResetOnClose()
        finish(.localClose)
    }

    /// Releases everything now; the fd is closed and the delegate told after
    /// the current callback returns.
    func finish(_ reason: CloseReason) {
        guard state != .closed else { return }
        state = .closed
        closeTimer?.cancel()
        transportHandshakeEnded()
        if let registration { loop.deregister(registration) }
        registration = nil
        output.removeAll()
        sharedRun = 0..<0
        leaveFollowedGroups()
        loop.executeAfterIteration { [self] in
            transportRelease()
            socket.close()
            let delegate = self.delegate
            self.delegate = nil
            delegate?.connection(self, didCloseWith: reason)
        }
    }
}
