// TLSConnection+ClientDiagnostics: what a TLS client records so that a failed
// or surprising handshake can be explained in words.
//
// Four facts, all read from OpenSSL or the socket, none of them a decision:
// whether the server sent a CertificateRequest (OpenSSL calls a client's
// certificate callback exactly when it handles one, whether or not we have a
// certificate), the server's first record header (from OpenSSL's message
// callback: a plaintext greeting where a ServerHello should be), and, on
// a host name or IP address mismatch, the names the server certificate does
// cover, and on a key pin mismatch, the expected pins and the key received.
// It does not print and does not decide what the user is told; the
// client's DisconnectExplainer does.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

extension TLSConnection {
    /// Asks OpenSSL to tell us when the server requests a client certificate. The callback runs
    /// only inside SSL_do_handshake, which this connection calls while it owns `ssl`.
    func watchForCertificateRequest(_ ssl: OpaquePointer) {
        SSL_set_cert_cb(ssl, { _, argument in
            guard let argument else { return 1 }
            Unmanaged<TLSConnection>.fromOpaque(argument).takeUnretainedValue().serverRequestedCertificate = true
            return 1  // carry on with whatever certificate is configured (or none)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// Keeps the first record header the server sends (5 bytes), as OpenSSL reads it: a
    /// plaintext greeting shows here even when OpenSSL reads it inside the same
    /// SSL_do_handshake call that sent the ClientHello (a peek before that call misses it).
    /// Removed once the handshake is done, so records after it cost nothing.
    func watchFirstServerRecord(_ ssl: OpaquePointer) {
        SSL_set_msg_callback(ssl) { writing, _, contentType, buffer, length, _, argument in
            guard writing == 0, contentType == SSL3_RT_HEADER, let buffer, let argument else { return }
            let connection = Unmanaged<TLSConnection>.fromOpaque(argument).takeUnretainedValue()
            guard connection.firstServerBytes.isEmpty else { return }
            connection.firstServerBytes = Array(UnsafeRawBufferPointer(start: buffer, count: min(length, 16)))
        }
        CTLSShim_SSL_set_msg_callback_arg(ssl, Unmanaged.passUnretained(self).toOpaque())
    }

    func stopWatchingServerRecords(_ ssl: OpaquePointer) {
        SSL_set_msg_callback(ssl, nil)
    }

    /// True when `bytes` start like a TLS record: a content type 20...24, then major version 3.
    static func looksLikeTLSRecord(_ bytes: [UInt8]) -> Bool {
        guard let type = bytes.first else { return true }
        return (20...24).contains(type) && (bytes.count < 2 || bytes[1] == 3)
    }

    /// `error` plus what the client saw: the names a mismatched certificate covers, or the
    /// server's first bytes when they were not TLS at all (printable ASCII only).
    func explainedClientFailure(_ error: TLSError, ssl: OpaquePointer) -> TLSError {
        guard let expectedServerName else { return error }
        var reasons = error.reasons
        if !Self.looksLikeTLSRecord(firstServerBytes) {
            let text = String(decoding: firstServerBytes.map { (32...126).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            reasons.append("server sent non-TLS bytes first: \"\(text)\"")
        }
        var mismatch: (certificateNames: [String], expected: String)?
        let result = SSL_get_verify_result(ssl)
        let pins = context.configuration.serverKeyPins
        if result == X509_V_ERR_APPLICATION_VERIFICATION, !pins.isEmpty {
            let leaf = SSL_get_peer_cert_chain(ssl).flatMap { CTLSShim_sk_X509_num($0) > 0 ? CTLSShim_sk_X509_value($0, 0) : nil }
            reasons.append(ServerKeyPin.mismatch(received: leaf.flatMap { TLSContext.publicKeyDigest(of: $0) } ?? [], expected: pins))
        }
        if result == X509_V_ERR_HOSTNAME_MISMATCH || result == X509_V_ERR_IP_ADDRESS_MISMATCH,
           let chain = SSL_get_peer_cert_chain(ssl), CTLSShim_sk_X509_num(chain) > 0,
           let leaf = CTLSShim_sk_X509_value(chain, 0) {
            let names = PeerIdentity.extract(from: leaf).subjectAlternativeNames
                .filter { $0.hasPrefix("DNS:") || $0.hasPrefix("IP:") }
            mismatch = (names, expectedServerName)
        }
        return TLSError(operation: error.operation, reasons: reasons, verifyFailure: error.verifyFailure, nameMismatch: mismatch)
    }
}
