// TLSContext+Revocation: loads the server's CRL file (tlschatd --crl: PEM,
// one or more CRLs) into the verify store and turns on CRL checking for the
// client certificate and every certificate above it in its chain
// (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL). A CRL issued in the
// name of a CA of the client-CA file must be signed by it, or the file is
// refused (a CRL of an intermediate is checked at each handshake against the
// intermediate the client sends); a CA of that file
// without a CRL, and a CRL past its nextUpdate, are reported as warnings
// because both make OpenSSL refuse the certificates concerned (fail closed).
// It also answers "which certificate of this chain is revoked?" for the log
// and for sessions that were verified before a new CRL arrived. It does not
// fetch CRLs (no distribution points) and does no OCSP.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// The most CRLs one file may hold (a bound on work at load and per check).
    static let maximumRevocationLists = 1000

    func loadRevocationLists(_ path: String) throws(TLSError) -> [String] {
        let operation = "loading CRL file \(path)"
        guard case .file(let caFile)? = configuration.trustRoots else {
            throw TLSError(operation: operation, reasons: ["CRLs need a client-CA file (--client-ca) to check them against"])
        }
        try Self.requireReadable(path, what: "CRL file")
        let lists = try Self.readRevocationLists(path, operation: operation)
        revocationLists = lists
        guard let store = SSL_CTX_get_cert_store(context) else { throw TLSError.drain(operation) }
        let authorities = Self.certificates(in: store)
        var warnings: [String] = []
        var covered = Set<Int>()
        for (index, list) in lists.enumerated() {
            let issuer = Self.nameLine(X509_CRL_get_issuer(list))
            let namesakes = authorities.indices.filter {
                X509_NAME_cmp(X509_get_subject_name(authorities[$0]), X509_CRL_get_issuer(list)) == 0
            }
            let signer = namesakes.first { X509_CRL_verify(list, X509_get0_pubkey(authorities[$0])) == 1 }
            TLSError.clearQueue()
            if let signer {
                covered.insert(signer)
            } else if namesakes.isEmpty {
                // An intermediate's CRL: that CA comes from the client's chain, and OpenSSL checks the
                // CRL's signature against it at each handshake.
                warnings.append("CRL \(index + 1) in \(path) is issued by \(issuer), not a CA of \(caFile): used for chains through an intermediate of that name (its signature is checked at the handshake)")
            } else {
                throw TLSError(operation: operation, reasons: [
                    "CRL \(index + 1) (issuer \(issuer)) is not signed by the CA of that name in \(caFile): wrong CA (another key), or the CA file and the CRL do not belong together"])
            }
            if let next = X509_CRL_get0_nextUpdate(list), X509_cmp_current_time(next) < 0 {
                warnings.append(configuration.allowExpiredRevocationList
                    ? "CRL of \(issuer) in \(path) expired on \(Self.date(next)); used anyway (--crl-allow-expired)"
                    : "CRL of \(issuer) in \(path) expired on \(Self.date(next)): certificates of that CA are refused until a fresh CRL is loaded (or --crl-allow-expired)")
            }
            TLSError.clearQueue()
            guard X509_STORE_add_crl(store, list) == 1 else { throw TLSError.drain("\(operation): adding CRL \(index + 1)") }
        }
        for (index, authority) in authorities.enumerated() where !covered.contains(index) {
            warnings.append("\(path) has no CRL for CA \(Self.nameLine(X509_get_subject_name(authority))) of \(caFile): client certificates under it are refused (a CRL is required for every CA)")
        }
        let flags = UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)
        _ = X509_STORE_set_flags(store, flags)
        _ = X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), flags)
        return warnings
    }

    /// Every CRL of a PEM file; garbage or a file with none is an error.
    private static func readRevocationLists(_ path: String, operation: String) throws(TLSError) -> [OpaquePointer] {
        TLSError.clearQueue()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drain(operation) }
        defer { BIO_free(bio) }
        var lists: [OpaquePointer] = []
        while lists.count < maximumRevocationLists, let list = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
            lists.append(list)
        }
        let last = ERR_peek_last_error()
        let endOfFile = last != 0 && ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE
        if lists.isEmpty || (last != 0 && !endOfFile) {
            for list in lists { X509_CRL_free(list) }
            let error = TLSError.drain(operation)
            let reasons = lists.isEmpty && (last == 0 || endOfFile)
                ? ["it holds no CRL (expected one or more '-----BEGIN X509 CRL-----' blocks)"] : error.reasons
            throw TLSError(operation: operation, reasons: reasons)
        }
        TLSError.clearQueue()
        return lists
    }

    private static func certificates(in store: OpaquePointer) -> [OpaquePointer] {
        guard let objects = X509_STORE_get0_objects(store) else { return [] }
        var result: [OpaquePointer] = []
        for index in 0..<CTLSShim_sk_X509_OBJECT_num(objects) {
            guard let object = CTLSShim_sk_X509_OBJECT_value(objects, index), X509_OBJECT_get_type(object) == X509_LU_X509,
                  let certificate = X509_OBJECT_get0_X509(object) else { continue }
            result.append(certificate)
        }
        return result
    }

    /// The first certificate of `chain` (`X509 *` values) that one of this context's CRLs lists.
    func revokedCertificate(among chain: [OpaquePointer]) -> RevokedCertificate? {
        for certificate in chain {
            for list in revocationLists {
                var entry: OpaquePointer?
                if X509_CRL_get0_by_cert(list, &entry, certificate) == 1 {
                    return RevokedCertificate(serial: Self.serial(of: certificate),
                                              subject: Self.nameLine(X509_get_subject_name(certificate)))
                }
            }
        }
        return nil
    }

    /// Whether this context checks CRLs at all.
    public var checksRevocation: Bool { configuration.revocationListFile != nil }

    static func serial(of certificate: OpaquePointer) -> String {
        guard let number = X509_get_serialNumber(certificate), let big = ASN1_INTEGER_to_BN(number, nil) else { return "?" }
        defer { BN_free(big) }
        guard let hex = BN_bn2hex(big) else { return "?" }
        defer { CTLSShim_OPENSSL_free(hex) }
        return String(cString: hex)
    }

    static func nameLine(_ name: OpaquePointer?) -> String {
        guard let name, let line = X509_NAME_oneline(name, nil, 0) else { return "(no name)" }
        defer { CTLSShim_OPENSSL_free(line) }
        return String(cString: line)
    }
}
