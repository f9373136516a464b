// TLSContext+Pinning: the client's check of the server's public key against
// `TLSConfiguration.serverKeyPins`, inside OpenSSL's certificate verification.
//
// The pin is checked in the verify callback, on every call (every depth, every
// error), so a mismatch fails the handshake before the client's Finished: no
// application data can have been sent. TLSConnection checks it once more right
// after the handshake, before the connection opens. With a CA (`trustRoots`),
// normal verification AND a matching pin are both needed. Without one, the pin
// stands in for what a CA vouches for, and only that: when the key matches a
// pin, the errors "no trusted chain" (self-signed, unknown issuer) and "host
// name / IP address mismatch" are accepted (a certificate nobody vouches for
// can claim any name; the pin is what identifies the server). Everything else
// still fails: validity dates, the serverAuth usage, strict X.509 rules, and
// any key that matches no pin. It also computes the pin (SHA-256 of the DER
// SubjectPublicKeyInfo) of a certificate. Parsing and wording are in
// `ServerKeyPin`; this file never prints.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSContext {
    /// The SSL_CTX ex-data slot where a client context with pins keeps a pointer to itself.
    static let pinningSlot: Int32 = CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL_CTX, 0, nil, nil, nil, nil)

    /// Verification errors a pin replaces when there is no CA (`trustRoots` nil).
    static let errorsAPinReplaces: Set<Int32> = [
        X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED,
        X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH,
    ]

    /// True when the pins replace the CA: a client with pins and no trust roots.
    var pinsReplaceCA: Bool {
        configuration.role == .client && configuration.trustRoots == nil && !configuration.serverKeyPins.isEmpty
    }

    /// Lets the verify callback find this context's pins (a client context with pins only).
    func registerPinsForVerification() throws(TLSError) {
        guard configuration.role == .client, !configuration.serverKeyPins.isEmpty else { return }
        TLSError.clearQueue()
        guard Self.pinningSlot >= 0,
              SSL_CTX_set_ex_data(context, Self.pinningSlot, Unmanaged.passUnretained(self).toOpaque()) == 1
        else { throw TLSError.drain("registering the server key pins") }
    }

    /// The verify callback's pin step. nil: no pins, or the key matches and the usual checks
    /// decide. 0: the key matches no pin (the error is set). 1: the key matches and the pin
    /// replaces the CA for this error.
    static func pinnedVerdict(preverified: Int32, store: OpaquePointer) -> Int32? {
        guard let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()),
              SSL_is_server(OpaquePointer(ssl)) == 0,
              let sslContext = SSL_get_SSL_CTX(OpaquePointer(ssl)),
              let registered = SSL_CTX_get_ex_data(sslContext, pinningSlot)
        else { return nil }
        let context = Unmanaged<TLSContext>.fromOpaque(registered).takeUnretainedValue()
        let pins = context.configuration.serverKeyPins
        guard !pins.isEmpty else { return nil }
        guard let leaf = X509_STORE_CTX_get0_cert(store), let digest = publicKeyDigest(of: leaf),
              ServerKeyPin.matches(digest, anyOf: pins) else {
            X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION)
            return 0
        }
        if preverified == 0, context.pinsReplaceCA, errorsAPinReplaces.contains(X509_STORE_CTX_get_error(store)) {
            return 1
        }
        return nil
    }

    /// After a successful handshake: is `result` (SSL_get_verify_result) acceptable for a
    /// server certificate whose key digest is `digest`? Checks the pin again, independently.
    func acceptsServer(verifyResult result: Int, keyDigest digest: [UInt8]?) -> Bool {
        let pins = configuration.serverKeyPins
        if !pins.isEmpty {
            guard let digest, ServerKeyPin.matches(digest, anyOf: pins) else { return false }
        }
        if result == Int(X509_V_OK) { return true }
        return pinsReplaceCA && Self.errorsAPinReplaces.contains(Int32(result))
    }

    /// SHA-256 of `certificate`'s SubjectPublicKeyInfo in DER (an `X509 *`), or nil if unreadable.
    static func publicKeyDigest(of certificate: OpaquePointer) -> [UInt8]? {
        TLSError.clearQueue()
        guard let publicKey = X509_get_X509_PUBKEY(certificate) else { return nil }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509_PUBKEY(publicKey, &der)
        guard length > 0, let der else {
            TLSError.clearQueue()
            return nil
        }
        defer { CTLSShim_OPENSSL_free(der) }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var digestLength: UInt32 = 0
        guard EVP_Digest(der, Int(length), &digest, &digestLength, EVP_sha256(), nil) == 1,
              digestLength == UInt32(ServerKeyPin.digestLength) else {
            TLSError.clearQueue()
            return nil
        }
        return Array(digest.prefix(Int(digestLength)))
    }
}
