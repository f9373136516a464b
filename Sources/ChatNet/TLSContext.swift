// TLSContext: owns one OpenSSL SSL_CTX built from a `TLSConfiguration`, and
// makes the per-connection SSL objects from it.
//
// Applies the policy (versions, suites, groups, no compression, no
// renegotiation), loads and cross-checks certificate and key, sets up peer
// verification with a callback that can only make verification stricter
// (it adds the EKU requirement; it never turns a failure into success, except
// where a client's key pin stands in for a CA: TLSContext+Pinning), and the
// memory-saving modes. Every failure is a `TLSError` naming the file or
// step. It does not do I/O; `TLSConnection` does.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

public final class TLSContext {
    let context: OpaquePointer
    public let configuration: TLSConfiguration
    /// Problems found at start that do not stop the server (see TLSContext+StartupChecks).
    public private(set) var warnings: [String] = []
    /// The CRLs loaded from `revocationListFile` (each `X509_CRL *` up-referenced; freed in deinit).
    var revocationLists: [OpaquePointer] = []

    static let tls12Suites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")
    static let tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"

    public init(_ configuration: TLSConfiguration) throws(TLSError) {
        self.configuration = configuration
        TLSError.clearQueue()
        let method = configuration.role == .server ? TLS_server_method() : TLS_client_method()
        guard let context = SSL_CTX_new(method) else { throw TLSError.drain("creating SSL_CTX") }
        self.context = context
        try applyPolicy()
        try loadIdentity()
        try configureVerification()
        if configuration.role == .server {
            configureSessions()
            if configuration.startupChecks { warnings = try checkServerFiles() }
            if let file = configuration.revocationListFile { warnings += try loadRevocationLists(file) }
        }
    }

    deinit {
        for list in revocationLists { X509_CRL_free(list) }
        SSL_CTX_free(context)
    }

    private func check(_ ok: Bool, _ operation: @autoclosure () -> String) throws(TLSError) {
        if !ok { throw TLSError.drain(operation()) }
    }

    private func applyPolicy() throws(TLSError) {
        let policy = configuration.policy
        let minimum = policy == .modern ? TLS1_3_VERSION : TLS1_2_VERSION
        try check(CTLSShim_SSL_CTX_set_min_proto_version(context, minimum) == 1, "setting minimum TLS version")
        try check(CTLSShim_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1, "setting maximum TLS version")
        try check(SSL_CTX_set_ciphersuites(context, Self.tls13Suites) == 1, "setting TLS 1.3 cipher suites")
        try check(SSL_CTX_set_cipher_list(context, Self.tls12Suites) == 1, "setting TLS 1.2 cipher suites")
        let groups = configuration.groups.joined(separator: ":")
        try check(CTLSShim_SSL_CTX_set1_groups_list(context, groups) == 1, "setting key-exchange groups '\(groups)'")
        SSL_CTX_set_options(context, CTLSShim_SSL_OP_NO_COMPRESSION | CTLSShim_SSL_OP_NO_RENEGOTIATION)
        // Buffers move between retries (our output buffer may grow and move), writes may
        // complete one record at a time, and idle connections give their buffers back.
        // No automatic chain: we send exactly the chain file's certificates, never
        // the root OpenSSL would otherwise pull from the verify store (600 wasted bytes).
        let modes = SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS
            | SSL_MODE_NO_AUTO_CHAIN
        _ = CTLSShim_SSL_CTX_set_mode(context, Int(modes))
        _ = CTLSShim_SSL_CTX_set_read_ahead(context, 1)  // one read(2) per wake-up, not two per record
        if let length = configuration.readBufferLength { SSL_CTX_set_default_read_buffer_len(context, length) }
    }

    private func loadIdentity() throws(TLSError) {
        if configuration.inspectOnly && configuration.certificateChainFile != nil {
            throw TLSError(operation: "configuring an inspect-only client",
                           reasons: ["it does not verify the server, so it must not send a client certificate"])
        }
        guard let chain = configuration.certificateChainFile else {
            if configuration.role == .server {
                throw TLSError(operation: "configuring server", reasons: ["a server needs a certificate and a private key"])
            }
            return
        }
        guard let key = configuration.privateKeyFile else {
            throw TLSError(operation: "configuring \(chain)", reasons: ["a certificate needs its private key file"])
        }
        try Self.requireReadable(chain, what: "certificate chain")
        try Self.requireReadable(key, what: "private key")
        try check(SSL_CTX_use_certificate_chain_file(context, chain) == 1, "loading certificate chain \(chain)")
        try check(SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1, "loading private key \(key)")
        try check(SSL_CTX_check_private_key(context) == 1, "checking that \(key) matches \(chain)")
    }

    private func configureVerification() throws(TLSError) {
        let param = SSL_CTX_get0_param(context)
        X509_VERIFY_PARAM_set_flags(param, UInt(X509_V_FLAG_X509_STRICT))
        switch configuration.trustRoots {
        case .file(let path):
            try Self.requireReadable(path, what: "CA file")
            try check(SSL_CTX_load_verify_locations(context, path, nil) == 1, "loading CA file \(path)")
            if configuration.role == .server {
                guard let names = SSL_load_client_CA_file(path) else {
                    throw TLSError.drain("reading CA names from \(path)")
                }
                SSL_CTX_set_client_CA_list(context, names)
            }
        case .system:
            try check(SSL_CTX_set_default_verify_paths(context) == 1, "loading the system CA store")
        case nil:
            let pinsOrInspection = !configuration.serverKeyPins.isEmpty || configuration.inspectOnly
            if (configuration.role == .client && !pinsOrInspection) || configuration.clientAuthentication != .none {
                throw TLSError(operation: "configuring verification", reasons: ["certificate verification needs trust roots (a CA file)"])
            }
        }
        var mode = SSL_VERIFY_PEER
        if configuration.role == .server {
            switch configuration.clientAuthentication {
            case .none: mode = SSL_VERIFY_NONE
            case .optional: mode = SSL_VERIFY_PEER
            case .require: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
            }
        }
        if configuration.role == .client && configuration.inspectOnly { mode = SSL_VERIFY_NONE }  // its connections carry no data
        if configuration.role == .server && configuration.allowExpiredRevocationList {
            SSL_CTX_set_verify(context, mode) { preverified, store in
                TLSContext.verifyCertificate(preverified: preverified, store: store, acceptingExpiredCRL: true)
            }
        } else {
            SSL_CTX_set_verify(context, mode) { preverified, store in
                TLSContext.verifyCertificate(preverified: preverified, store: store, acceptingExpiredCRL: false)
            }
        }
        try registerPinsForVerification()
    }

    /// Keeps OpenSSL's verdict, and additionally requires the leaf certificate to
    /// carry the extended key usage for its role (serverAuth for a server,
    /// clientAuth for a client). A certificate without any EKU is rejected too.
    /// A client with pins also needs the server's key to match one (TLSContext+Pinning).
    /// With `acceptingExpiredCRL` (tlschatd --crl-allow-expired) exactly one failure
    /// is forgiven: a CRL past its nextUpdate; the CRL is still applied.
    static func verifyCertificate(preverified: Int32, store: OpaquePointer?, acceptingExpiredCRL: Bool) -> Int32 {
        if let store, let pinned = pinnedVerdict(preverified: preverified, store: store) { return pinned }
        if preverified == 0, acceptingExpiredCRL, let store, X509_STORE_CTX_get_error(store) == X509_V_ERR_CRL_HAS_EXPIRED {
            X509_STORE_CTX_set_error(store, X509_V_OK)  // else it would stay the final verify result
            return 1
        }
        guard preverified == 1, let store else { return preverified }
        guard X509_STORE_CTX_get_error_depth(store) == 0,
              let leaf = X509_STORE_CTX_get_current_cert(store),
              let ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx())
        else { return 1 }
        let peerIsClient = SSL_is_server(OpaquePointer(ssl)) == 1
        let needed = UInt32(peerIsClient ? XKU_SSL_CLIENT : XKU_SSL_SERVER)
        let usage = X509_get_extended_key_usage(leaf)
        if usage == UInt32.max || usage & needed == 0 {
            X509_STORE_CTX_set_error(store, X509_V_ERR_INVALID_PURPOSE)
            return 0
        }
        return 1
    }

    private func configureSessions() {
        let contextID = Array("tlschat".utf8)
        _ = SSL_CTX_set_session_id_context(context, contextID, UInt32(contextID.count))
        _ = SSL_CTX_set_num_tickets(context, configuration.sessionTickets ? 1 : 0)
        if !configuration.sessionTickets { SSL_CTX_set_options(context, CTLSShim_SSL_OP_NO_TICKET) }
        // Resumption uses stateless tickets only: no server-side session cache, which
        // would keep every session (up to 20,480 by default) alive after its connection.
        _ = CTLSShim_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
    }

    static func requireReadable(_ path: String, what: String) throws(TLSError) {
        if access(path, R_OK) != 0 {
            let reason = String(cString: strerror(Errno.current.rawValue))
            throw TLSError(operation: "reading \(what) \(path)", reasons: [reason])
        }
    }

    /// A new SSL object bound to `descriptor`. Clients must name the server:
    /// a DNS name is sent as SNI and checked against the certificate's SAN;
    /// an IP literal is checked against its IP SANs.
    func makeSession(descriptor: Int32, serverName: String?) throws(TLSError) -> OpaquePointer {
        TLSError.clearQueue()
        guard let ssl = SSL_new(context) else { throw TLSError.drain("creating SSL session") }
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            SSL_free(ssl)
            throw TLSError.drain("attaching SSL session to socket")
        }
        guard configuration.role == .client else { return ssl }
        guard let serverName, !serverName.isEmpty else {
            SSL_free(ssl)
            throw TLSError(operation: "configuring client session", reasons: ["a TLS client must name the server it expects"])
        }
        var ok: Bool
        if SocketAddress.isIPLiteral(serverName) {
            ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1
        } else {
            // Names come from the SAN only: a certificate without a DNS SAN never matches via its CN.
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT))
            ok = SSL_set1_host(ssl, serverName) == 1 && CTLSShim_SSL_set_tlsext_host_name(ssl, serverName) == 1
        }
        if !ok {
            SSL_free(ssl)
            throw TLSError.drain("setting expected server name '\(serverName)'")
        }
        return ssl
    }
}
