// UnusedCertificateWarning: the warning a `tlschat --cert` user gets when the
// server never asked for a client certificate, so none was sent and the user
// is anonymous (`~guestN`, trust `tls`) although they meant to sign in.
//
// The fact comes from the TLS layer: whether the server sent a
// CertificateRequest during the handshake (ChatNet records it). Without one a
// TLS client cannot send its certificate at all, whatever the server's
// software, so this is known right after the handshake, before the greeting,
// and needs no reading of chat/1 lines. (A certificate that was requested and
// sent but gives no usable name is the server's to explain: tlschatd sends
// `NOTICE identity`.) It does not print. Pure.

public enum UnusedCertificateWarning {
    /// The warning, or nil when there is nothing to warn about.
    public static func text(certificateGiven: Bool, serverRequestedCertificate: Bool) -> String? {
        guard certificateGiven, !serverRequestedCertificate else { return nil }
        return "warning: the server did not ask for a client certificate, so --cert was not sent: you are anonymous here "
            + "(the server does not check client certificates; tlschatd does only with --client-ca)"
    }
}
