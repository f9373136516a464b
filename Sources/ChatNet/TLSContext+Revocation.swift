// TLSContext+Revocation: loads the server's CRL file (tlschatd --crl: PEM,
// one or more CRLs, at most 1000 and 64 MiB) into the verify store and turns
// on CRL checking for the client certificate and every certificate above it
// in its chain (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL). A CRL
// issued in the name of a CA of the client-CA file must be signed by it, or
// the file is refused (a CRL of an intermediate is checked at each handshake
// against the intermediate the client sends); a CA of that file without a
// CRL, and a CRL past its nextUpdate, are reported as warnings because both
// make OpenSSL refuse the certificates concerned (fail closed). A running
// context can take a new CRL file alone (`reloadRevocationLists`: a new verify
// store, same CAs) when another file of a reload is broken, and a replaced
// context can give its store and CRLs back (`releaseVerificationData`) once
// no handshake can still use them. It also answers "which certificate of this
// chain is revoked?" for the log and for sessions that were verified before a
// new CRL arrived. It does not fetch CRLs (no distribution points) and does
// no OCSP.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// The most CRLs one file may hold (a bound on work at load and per check).
    static let maximumRevocationLists = 1000

    /// The largest CRL file read (a bound on memory at load; a CA's CRL of a million entries is ~40 MiB).
    static let maximumRevocationFileBytes: Int64 = 64 << 20

    func loadRevocationLists(_ path: String) throws(TLSError) -> [String] {
        let operation = "loading CRL file \(path)"
        guard let store = SSL_CTX_get_cert_store(context) else { throw TLSError.drain(operation) }
        let (lists, warnings) = try checkedRevocationLists(path, against: store)
        revocationLists = lists  // freed in deinit, also when adding fails
        try Self.install(lists, into: store, operation: operation)
        _ = X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(context), Self.revocationFlags)
        return warnings
    }

    /// Replaces this (running) context's CRLs by what the CRL file holds now: a new verify store
    /// with the same CA certificates and the new CRLs, checked like at start. The certificate,
    /// key and CA stay as they are. Used when a reload's other files are broken, so a good new
    /// CRL still takes effect for new handshakes. On error nothing changes.
    public func reloadRevocationLists() throws(TLSError) -> [String] {
        guard let path = configuration.revocationListFile else { return [] }
        let operation = "loading CRL file \(path)"
        guard let old = SSL_CTX_get_cert_store(context) else { throw TLSError.drain(operation) }
        let (lists, warnings) = try checkedRevocationLists(path, against: old)
        TLSError.clearQueue()
        guard let store = X509_STORE_new() else {
            for list in lists { X509_CRL_free(list) }
            throw TLSError.drain(operation)
        }
        do throws(TLSError) {
            for certificate in Self.certificates(in: old) where X509_STORE_add_cert(store, certificate) != 1 {
                throw TLSError.drain("\(operation): copying the CA certificates")
            }
            try Self.install(lists, into: store, operation: operation)
        } catch {
            X509_STORE_free(store)
            for list in lists { X509_CRL_free(list) }
            throw error
        }
        SSL_CTX_set_cert_store(context, store)  // frees the old store
        for list in revocationLists { X509_CRL_free(list) }
        revocationLists = lists
        return warnings
    }

    /// Gives back the verify store (CA certificates, CRLs) of a context no handshake uses any
    /// more: established sessions do not need it. A handshake started on this context afterwards
    /// would fail (an empty store trusts nothing), never succeed unchecked.
    public func releaseVerificationData() {
        TLSError.clearQueue()
        guard let empty = X509_STORE_new() else { return TLSError.clearQueue() }
        SSL_CTX_set_cert_store(context, empty)
        for list in revocationLists { X509_CRL_free(list) }
        revocationLists = []
    }

    static let revocationFlags = UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)

    private static func install(_ lists: [OpaquePointer], into store: OpaquePointer, operation: String) throws(TLSError) {
        for (index, list) in lists.enumerated() {
            TLSError.clearQueue()
            guard X509_STORE_add_crl(store, list) == 1 else { throw TLSError.drain("\(operation): adding CRL \(index + 1)") }
        }
        _ = X509_STORE_set_flags(store, revocationFlags)
    }

    /// The CRLs of `path`, each checked against the CAs of `store`, and the warnings about them.
    private func checkedRevocationLists(_ path: String, against store: OpaquePointer) throws(TLSError) -> ([OpaquePointer], [String]) {
        let operation = "loading CRL file \(path)"
        guard case .file(let caFile)? = configuration.trustRoots else {
            throw TLSError(operation: operation, reasons: ["CRLs need a client-CA file (--client-ca) to check them against"])
        }
        try Self.requireReadable(path, what: "CRL file")
        let lists = try Self.readRevocationLists(path, operation: operation)
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
                for list in lists { X509_CRL_free(list) }
                throw TLSError(operation: operation, reasons: [
                    "CRL \(index + 1) (issuer \(issuer)) is not signed by the CA of that name in \(caFile): wrong CA (another key), or the CA file and the CRL do not belong together"])
            }
            if let next = X509_CRL_get0_nextUpdate(list), X509_cmp_current_time(next) < 0 {
                warnings.append(configuration.allowExpiredRevocationList
                    ? "CRL of \(issuer) in \(path) expired on \(Self.date(next)); used anyway (--crl-allow-expired)"
                    : "CRL of \(issuer) in \(path) expired on \(Self.date(next)): certificates of that CA are refused until a fresh CRL is loaded (or --crl-allow-expired)")
            }
            TLSError.clearQueue()
        }
        for (index, authority) in authorities.enumerated() where !covered.contains(index) {
            warnings.append("\(path) has no CRL for CA \(Self.nameLine(X509_get_subject_name(authority))) of \(caFile): client certificates under it are refused (a CRL is required for every CA)")
        }
        return (lists, warnings)
    }

    /// Every CRL of a PEM file; garbage, a file with none, too many or too large a file is an error.
    private static func readRevocationLists(_ path: String, operation: String) throws(TLSError) -> [OpaquePointer] {
        var info = stat()
        if stat(path, &info) == 0, Int64(info.st_size) > maximumRevocationFileBytes {
            throw TLSError(operation: operation, reasons: [
                "it is \(info.st_size) bytes; a CRL file may be at most \(maximumRevocationFileBytes >> 20) MiB"])
        }
        TLSError.clearQueue()
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drain(operation) }
        defer { BIO_free(bio) }
        var lists: [OpaquePointer] = []
        while let list = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
            lists.append(list)
            if lists.count > maximumRevocationLists {
                for list in lists { X509_CRL_free(list) }
                TLSError.clearQueue()
                throw TLSError(operation: operation, reasons: ["it holds more than \(maximumRevocationLists) CRLs"])
            }
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

    static func certificates(in store: OpaquePointer) -> [OpaquePointer] {
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
