// TLSContext+Inspection: what `tlschatd check` reports about a server
// context that was built without error (the start-up checks already refused
// a mismatched key, an expired or client-only certificate, a client-CA file
// with a non-CA, and CRLs signed by another key): the served chain in order,
// each certificate signed by the next; the leaf's subjectAltName names (none
// is a problem: clients match the host name against them); its days left;
// each client CA's expiry; each CRL's issuer, nextUpdate and freshness (a
// stale one is a problem unless --crl-allow-expired). It changes nothing and
// holds no OpenSSL object beyond the call.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

/// The findings of `TLSContext.inspectServerFiles`: lines for the operator.
public struct ServerFilesInspection: Sendable {
    /// Things that are fine, e.g. "chain: 2 certificates, each signed by the next".
    public var good: [String] = []
    /// Things a client or the server would trip over.
    public var problems: [String] = []
    /// Worth knowing, not wrong (expiry within 30 days, the context's own warnings).
    public var warnings: [String] = []
}

extension TLSContext {
    public func inspectServerFiles() -> ServerFilesInspection {
        var found = ServerFilesInspection()
        let file = configuration.certificateChainFile ?? "?"
        do {
            try checkReplaces(self)  // with itself: only the chain order is in question
            found.good.append("chain \(file): \(max(servedChainLength, 1)) certificate(s), each signed by the next")
        } catch {
            found.problems.append(error.description)
        }
        if let leaf = SSL_CTX_get0_certificate(context) {
            let names = PeerIdentity.extract(from: leaf).subjectAlternativeNames
            if names.isEmpty {
                found.problems.append("server certificate \(file) has no subjectAltName: clients match the host name against it and refuse the certificate")
            } else {
                found.good.append("names: \(names.joined(separator: ", "))")
            }
            found.good.append("key \(configuration.privateKeyFile ?? "?") matches the certificate; extended key usage serverAuth")
        }
        if let served = servedCertificate {
            let line = "server certificate serial \(served.serial) expires on \(served.notAfter): \(served.daysLeft) days left"
            if served.daysLeft < 30 { found.warnings.append(line) } else { found.good.append(line) }
        }
        inspectVerificationStore(into: &found)
        found.warnings += warnings.filter { !$0.contains(" expired on ") }  // stale CRLs are reported above
        return found
    }

    private var servedChainLength: Int {
        var extra: OpaquePointer?
        guard CTLSShim_SSL_CTX_get0_chain_certs(context, &extra) == 1, let extra else { return 1 }
        return 1 + Int(CTLSShim_sk_X509_num(extra))
    }

    /// The client CAs and CRLs: their expiry and freshness.
    private func inspectVerificationStore(into found: inout ServerFilesInspection) {
        guard case .file(let caFile)? = configuration.trustRoots, configuration.clientAuthentication != .none,
              let store = SSL_CTX_get_cert_store(context), let objects = X509_STORE_get0_objects(store) else { return }
        var authorities = 0
        for index in 0..<CTLSShim_sk_X509_OBJECT_num(objects) {
            guard let object = CTLSShim_sk_X509_OBJECT_value(objects, index) else { continue }
            if X509_OBJECT_get_type(object) == X509_LU_X509, let authority = X509_OBJECT_get0_X509(object) {
                authorities += 1
                let name = Self.nameLine(X509_get_subject_name(authority))
                if let end = X509_get0_notAfter(authority), X509_cmp_current_time(end) < 0 {
                    found.problems.append("client CA \(name) in \(caFile) expired on \(Self.date(end)): no client certificate under it verifies")
                } else if let end = X509_get0_notAfter(authority) {
                    found.good.append("client CA \(name) (\(caFile)) valid until \(Self.date(end))")
                }
            } else if X509_OBJECT_get_type(object) == X509_LU_CRL, let list = X509_OBJECT_get0_X509_CRL(object) {
                let issuer = Self.nameLine(X509_CRL_get_issuer(list))
                let file = configuration.revocationListFile ?? caFile
                guard let next = X509_CRL_get0_nextUpdate(list) else {
                    found.warnings.append("CRL of \(issuer) in \(file) has no nextUpdate")
                    continue
                }
                if X509_cmp_current_time(next) < 0 {
                    let line = "CRL of \(issuer) in \(file) is stale: its nextUpdate \(Self.date(next)) has passed (publish a fresh CRL)"
                    if configuration.allowExpiredRevocationList { found.warnings.append(line + "; used anyway (--crl-allow-expired)") } else { found.problems.append(line) }
                } else {
                    let signedByClientCA = Self.certificates(in: store).contains {
                        X509_NAME_cmp(X509_get_subject_name($0), X509_CRL_get_issuer(list)) == 0 && X509_CRL_verify(list, X509_get0_pubkey($0)) == 1
                    }
                    found.good.append("CRL of \(issuer) (\(file)) fresh until \(Self.date(next))"
                        + (signedByClientCA ? ", signed by that client CA" : " (an intermediate's: its signature is checked at each handshake)"))
                }
            }
        }
        TLSError.clearQueue()
        if authorities == 0 { found.problems.append("client CA file \(caFile) holds no CA certificate") }
    }
}
