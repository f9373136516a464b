// ClientConnection+Revocation: closes the gap between a handshake and a CRL
// reload. A handshake verifies the client against the CRLs its context had
// when the connection was accepted; if a newer CRL was loaded while the
// handshake ran (the revoked-session sweep skipped it: it had no verified
// certificate yet), the finished handshake is checked again here against the
// CRLs new handshakes use now. A revoked certificate is refused like the sweep
// does: `NOTICE revoked ...` and close. A TLS connection gets that line
// instead of HELLO (no session is made, no room sees it); a STARTTLS upgrade
// ends its existing session. It holds no chat rules and reads no files.
import ChatCore
import ChatNet

extension ClientConnection {
    /// True when the just-finished handshake's certificate is revoked by the current CRLs
    /// (the connection is then being closed).
    func refusedAsRevokedAfterHandshake() -> Bool {
        guard let tls = connection as? TLSConnection else { return false }
        let current = server.contexts.current
        guard current.checksRevocation, let revoked = tls.revokedCertificate(by: current) else { return false }
        server.refusedRevokedAtHandshake(self, revoked)
        if let session {  // a STARTTLS upgrade: the plaintext session ends
            upgradingFrom = nil
            server.core.dropRevoked(session, serial: revoked.serial)
        } else {
            Array((ChatServerCore.revokedNotice(serial: revoked.serial) + "\n").utf8).withUnsafeBytes { tls.write($0) }
            closeAfterFlush(.revoked)
        }
        return true
    }
}
