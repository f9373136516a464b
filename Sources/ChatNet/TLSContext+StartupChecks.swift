// TLSContext+StartupChecks: refuses, when a server context is built, the
// files that OpenSSL loads without complaint but that would make every later
// handshake fail: a CA certificate or a client-only certificate (no
// serverAuth) as the server's own, an expired or not yet valid one, and a
// client-CA file holding a certificate that is not a CA (a user's leaf given
// by mistake). CRLs found in the client-CA file are reported as a warning:
// without --crl they are loaded but not checked. Each refusal is one TLSError naming the
// file and the fix. It does not verify chains (the handshake does).
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// Runs the server-side checks; returns warnings for the log.
    func checkServerFiles() throws(TLSError) -> [String] {
        var warnings: [String] = []
        if let chain = configuration.certificateChainFile, let leaf = SSL_CTX_get0_certificate(context) {
            try Self.checkServerCertificate(leaf, file: chain)
        }
        if case .file(let path)? = configuration.trustRoots, configuration.clientAuthentication != .none {
            warnings += try checkClientCAFile(path)
        }
        return warnings
    }

    private static func checkServerCertificate(_ leaf: OpaquePointer, file: String) throws(TLSError) {
        let operation = "checking server certificate \(file)"
        if X509_check_ca(leaf) != 0 {
            throw TLSError(operation: operation, reasons: [
                "it is a CA certificate (\(subject(of: leaf))), not a server's: give the certificate the CA issued for this server"])
        }
        let usage = X509_get_extended_key_usage(leaf)
        if usage == UInt32.max || usage & UInt32(XKU_SSL_SERVER) == 0 {
            throw TLSError(operation: operation, reasons: [
                "it has no serverAuth extended key usage (\(subject(of: leaf)) is for clients, not servers): clients would refuse it"])
        }
        if let notBefore = X509_get0_notBefore(leaf), X509_cmp_current_time(notBefore) > 0 {
            throw TLSError(operation: operation, reasons: ["it is not valid before \(date(notBefore))"])
        }
        if let notAfter = X509_get0_notAfter(leaf), X509_cmp_current_time(notAfter) < 0 {
            throw TLSError(operation: operation, reasons: ["it expired on \(date(notAfter))"])
        }
    }

    /// Every certificate in the client-CA file must be a CA; CRLs there are only reported.
    private func checkClientCAFile(_ path: String) throws(TLSError) -> [String] {
        guard let store = SSL_CTX_get_cert_store(context), let objects = X509_STORE_get0_objects(store) else { return [] }
        var revocationLists = 0
        for index in 0..<CTLSShim_sk_X509_OBJECT_num(objects) {
            guard let object = CTLSShim_sk_X509_OBJECT_value(objects, index) else { continue }
            switch X509_OBJECT_get_type(object) {
            case X509_LU_X509:
                guard let certificate = X509_OBJECT_get0_X509(object), X509_check_ca(certificate) == 0 else { continue }
                throw TLSError(operation: "checking client CA file \(path)", reasons: [
                    "\(Self.subject(of: certificate)) is not a CA certificate (a user's certificate?): give the CA that issues client certificates"])
            case X509_LU_CRL:
                revocationLists += 1
            default:
                continue
            }
        }
        guard revocationLists > 0, configuration.revocationListFile == nil else { return [] }
        return ["\(path) holds \(revocationLists) CRL(s) that tlschatd does not check: revoked client certificates are still accepted (give CRLs with --crl FILE)"]
    }

    private static func subject(of certificate: OpaquePointer) -> String {
        guard let name = X509_get_subject_name(certificate), let line = X509_NAME_oneline(name, nil, 0) else { return "no subject" }
        defer { CTLSShim_OPENSSL_free(line) }
        return "subject " + String(cString: line)
    }

    static func date(_ time: UnsafePointer<ASN1_TIME>) -> String {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return "an unreadable date" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }
}
