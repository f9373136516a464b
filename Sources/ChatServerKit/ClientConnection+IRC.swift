// ClientConnection+IRC: a connection on an IRC listener (tlschatd
// --irc-listen). After the TLS handshake (or at once on a plaintext IRC
// listener) it creates the connection's IRCSession (ChatIRC) with the same
// credentials a chat/1 connection would give the core, frames input with the
// IRC bound (IRCLinePolicy), applies the same command rate and flood rule as
// chat/1 (one token per non-blank IRC line), and is the IRCSession's
// transport: it writes its lines and learns when registration made a
// session, which from then on is swept for idleness like any other. The
// chat/1 path does not pass through here. A TLS ClientHello on a plaintext
// IRC listener is refused with one ERROR line, as on the chat/1 listener.
import ChatCore
import ChatIRC
import ChatNet

extension ClientConnection: IRCTransport {
    func startIRC() {
        guard irc == nil, connection.state == .open else { return }
        openedAt = MonotonicClock.now()
        lastInputAt = openedAt
        irc = IRCSession(core: server.core, info: server.ircInfo, credentials: currentCredentials(transport: transport),
                         cache: server.ircTranslations, transport: self,
                         clock: { HistoryKeeper.wallClockMilliseconds() })
    }

    func receiveIRC(_ bytes: UnsafeRawBufferPointer) {
        if irc == nil { startIRC() }
        guard let irc else { return }
        if transport == .plain, !sentFirstCommand, framer.bufferedByteCount == 0, bytes.first == 0x16 {
            server.refuseProtocolConfusion(self, what: "TLS handshake on the plaintext IRC port")
            Array("ERROR :this port speaks plaintext IRC, not TLS; closing\r\n".utf8).withUnsafeBytes { connection.write($0) }
            return connection.close(.graceful)
        }
        let now = MonotonicClock.now()
        lastInputAt = now
        idlePingSentAt = nil
        for event in framer.feed(bytes) {
            guard self.irc != nil else { return }  // closed by an earlier line
            switch event {
            case .line(let line):
                guard !CommandParser.isBlank(line) else { continue }
                sentFirstCommand = true
                if commandRate.take(now: now) {
                    irc.receive(line: line)
                } else if refusalAllowance.take(now: now) {
                    irc.refuseRateLimited()
                } else {
                    return irc.dropFlooding()
                }
            case .tooLong: return irc.lineTooLong()
            }
        }
    }

    /// Registration did not finish in time (ChatServer's sweep).
    func closeUnregisteredIRC(_ why: String) {
        Array("ERROR :Closing link: \(why)\r\n".utf8).withUnsafeBytes { connection.write($0) }
        connection.close(.graceful)
    }

    // MARK: IRCTransport

    func write(_ message: OutboundMessage) -> Bool { send(message) }

    func closeAfterFlush(_ reason: SessionEndReason?) {
        if let reason { return closeAfterFlush(reason) }
        connection.close(.graceful)
    }

    func registered(_ session: ChatSession) {
        self.session = session
        lastInputAt = MonotonicClock.now()
        server.opened(self, session: session)
    }
}
