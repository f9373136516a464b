// ChatServerCore+Revocation: ends the session of a user whose certificate was
// revoked while connected. The user gets one line saying so, naming the
// serial, the rooms see an ordinary `PARTED ... quit`, and the connection is
// closed once that line is sent. Which certificates are revoked is decided in
// ChatNet from the server's CRLs; this file only applies the chat side.
extension ChatServerCore {
    /// The line a user whose certificate was revoked gets (also sent instead of HELLO when the
    /// revocation arrived while the TLS handshake ran).
    public static func revokedNotice(serial: String) -> String {
        "NOTICE revoked your certificate (serial \(serial)) was revoked"
    }

    /// `NOTICE revoked your certificate (serial SERIAL) was revoked`, then a graceful close.
    public func dropRevoked(_ session: ChatSession, serial: String) {
        guard !session.isGone else { return }
        session.send(Self.revokedNotice(serial: serial))
        remove(session, reason: "quit")
        session.link.closeAfterFlush(.revoked)
    }
}
