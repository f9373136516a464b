// TLSConnection+Revocation: which certificate a CRL revoked, for one
// connection. At the handshake (server side), a failure whose verify result is
// "certificate revoked" gets the revoked certificate's serial and subject
// added to its reasons, so the one log line names them. After the handshake,
// `revokedCertificate(by:)` checks the chain this connection verified (leaf
// and every certificate above it) against a newer context's CRLs: a server
// that loaded a new CRL uses it to find sessions it must end. It does not end
// anything itself; the server decides.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSConnection {
    /// `error` with the revoked certificate named, when the handshake failed because of a CRL.
    func explainedRevocation(_ error: TLSError, ssl: OpaquePointer) -> TLSError {
        guard SSL_get_verify_result(ssl) == X509_V_ERR_CERT_REVOKED else { return error }
        // OpenSSL keeps the chain it built (leaf first) even when verification failed.
        let chain = Self.certificates(in: SSL_get0_verified_chain(ssl))
        guard let revoked = context.revokedCertificate(among: chain) else { return error }
        return TLSError(operation: error.operation, reasons: error.reasons + ["revoked certificate \(revoked)"],
                        verifyFailure: error.verifyFailure, nameMismatch: error.nameMismatch)
    }

    /// The certificate of this connection's verified chain that `context`'s CRLs list, if any
    /// (nil too when the handshake is not done, or no certificate was verified).
    public func revokedCertificate(by context: TLSContext) -> RevokedCertificate? {
        guard let ssl, peerIdentity != nil else { return nil }
        let chain = Self.certificates(in: SSL_get0_verified_chain(ssl))
        return context.revokedCertificate(among: chain)
    }

    private static func certificates(in stack: OpaquePointer?) -> [OpaquePointer] {
        guard let stack else { return [] }
        return (0..<CTLSShim_sk_X509_num(stack)).compactMap { CTLSShim_sk_X509_value(stack, $0) }
    }
}
