// TLSContext+ServerCertificate: what a server context serves, for the
// operator: the leaf's serial, subject and expiry (days left and the date),
// used by the reload log line and the expiry warning; and the checks a
// reloaded chain must pass before it replaces the running one: every
// certificate of the chain file is signed by the one after it, and the chain
// shares an issuer with the chain being served: some certificate of the new
// chain has the issuer (name and key identifier, or when an identifier is
// missing, a signature checked against a known CA of that name) of some
// certificate of the served one, so a short chain may replace a cross-signed
// one and back, but a reload never switches to another CA (that takes a
// restart). It changes nothing.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// The leaf this server context sends (nil for a client context without a certificate).
    public var servedCertificate: ServedCertificate? {
        guard let leaf = SSL_CTX_get0_certificate(context), let end = X509_get0_notAfter(leaf) else { return nil }
        var days: Int32 = 0, seconds: Int32 = 0
        _ = ASN1_TIME_diff(&days, &seconds, nil, end)
        return ServedCertificate(serial: Self.serial(of: leaf), subject: Self.nameLine(X509_get_subject_name(leaf)),
                                 notAfter: Self.date(end), daysLeft: Int(days), notAfterSeconds: PeerIdentity.notAfter(of: leaf))
    }

    /// The leaf first, then the chain file's other certificates.
    private var servedChain: [OpaquePointer] {
        guard let leaf = SSL_CTX_get0_certificate(context) else { return [] }
        var chain = [leaf]
        var extra: OpaquePointer?
        if CTLSShim_SSL_CTX_get0_chain_certs(context, &extra) == 1, let extra {
            for index in 0..<CTLSShim_sk_X509_num(extra) {
                if let certificate = CTLSShim_sk_X509_value(extra, index) { chain.append(certificate) }
            }
        }
        return chain
    }

    /// Refuses a chain that cannot replace `previous`'s: a certificate not signed by the next
    /// one in the file, or a top certificate from another issuer than the one served now.
    public func checkReplaces(_ previous: TLSContext) throws(TLSError) {
        let file = configuration.certificateChainFile ?? "?"
        let operation = "checking server certificate \(file)"
        let chain = servedChain
        for index in chain.indices.dropLast() {
            let (child, parent) = (chain[index], chain[index + 1])
            TLSError.clearQueue()
            guard X509_check_issued(parent, child) == X509_V_OK, X509_verify(child, X509_get0_pubkey(parent)) == 1 else {
                TLSError.clearQueue()
                throw TLSError(operation: operation, reasons: [
                    "certificate \(index + 1) (\(Self.nameLine(X509_get_subject_name(child)))) is not signed by the next one in the file (\(Self.nameLine(X509_get_subject_name(parent)))): the chain does not belong together"])
            }
        }
        let previousChain = previous.servedChain
        guard let top = chain.last, let previousTop = previousChain.last else { return }
        var signers = previousChain + chain
        if let store = SSL_CTX_get_cert_store(context) { signers += Self.certificates(in: store) }
        let shared = chain.contains { new in previousChain.contains { Self.sameIssuer(new, $0, signers: signers) } }
        TLSError.clearQueue()
        if !shared {
            let sameName = X509_NAME_cmp(X509_get_issuer_name(top), X509_get_issuer_name(previousTop)) == 0
            throw TLSError(operation: operation, reasons: [
                "wrong CA: issued by \(Self.nameLine(X509_get_issuer_name(top)))\(sameName ? " (another key, or no key id to tell)" : ""), not a CA of the served chain; restart tlschatd to change CA"])
        }
    }

    /// Whether two certificates have the same issuer: the same issuer name and the same authority
    /// key identifier; when either has none, the same issuer name and both signed by the key
    /// of one known certificate of that name (a missing identifier proves nothing by itself).
    private static func sameIssuer(_ one: OpaquePointer, _ other: OpaquePointer, signers: [OpaquePointer]) -> Bool {
        guard X509_NAME_cmp(X509_get_issuer_name(one), X509_get_issuer_name(other)) == 0 else { return false }
        if let key = X509_get0_authority_key_id(one), let otherKey = X509_get0_authority_key_id(other) {
            return ASN1_OCTET_STRING_cmp(key, otherKey) == 0
        }
        return signers.contains { signer in
            X509_NAME_cmp(X509_get_subject_name(signer), X509_get_issuer_name(one)) == 0
                && X509_verify(one, X509_get0_pubkey(signer)) == 1 && X509_verify(other, X509_get0_pubkey(signer)) == 1
        }
    }
}
