// TLSConfiguration: a plain value describing one TLS endpoint: its
// certificate and key files, whom it trusts, whether it asks for client
// certificates, and the protocol policy. `TLSContext` turns it into OpenSSL
// state; this file only describes and never touches files or OpenSSL.

public struct TLSConfiguration: Sendable {
    public enum Role: Sendable { case server, client }

    /// Whether a server asks for client certificates.
    public enum ClientAuthentication: String, Sendable, CaseIterable {
        /// Never asks.
        case none
        /// Asks; a client may send none (anonymous), but a certificate that is
        /// sent must verify, or the handshake fails.
        case optional
        /// A verified client certificate is mandatory.
        case require
    }

    /// Protocol versions and cipher suites (Mozilla's server-side TLS profiles).
    public enum Policy: String, Sendable, CaseIterable {
        /// TLS 1.3 only (the default).
        case modern
        /// TLS 1.2 and 1.3; TLS 1.2 limited to ECDHE key exchange with AEAD ciphers.
        case intermediate
    }

    /// Where the peer's certificate chain must lead.
    public enum TrustRoots: Sendable, Equatable {
        /// The operating system's CA store.
        case system
        /// CA certificates in a PEM file.
        case file(String)
    }

    public var role: Role
    /// PEM file with the leaf certificate first, then intermediates.
    public var certificateChainFile: String?
    public var privateKeyFile: String?
    /// Server: CAs for client certificates (nil means none are requested).
    /// Client: CAs for the server certificate (required).
    public var trustRoots: TrustRoots?
    public var clientAuthentication: ClientAuthentication
    /// Server: PEM file of CRLs (one or more) that client certificates are checked
    /// against, leaf and every intermediate (nil: no revocation checking).
    public var revocationListFile: String?
    /// Server: accept a CRL whose nextUpdate has passed (that one verify error only).
    public var allowExpiredRevocationList = false
    public var policy: Policy
    /// Key-exchange groups, in preference order.
    public var groups: [String] = ["X25519", "P-256"]
    /// Server: issue session tickets (resumption). Off by default: chat connections are
    /// long-lived, a ticket costs about 15% of a handshake's server CPU, and the ticket
    /// key would live (unrotated) for the whole process, weakening forward secrecy.
    public var sessionTickets = false
    /// Server: refuse, when the context is built, certificate files that would fail
    /// every handshake (see TLSContext+StartupChecks). Off only in tests that need
    /// such a server to see the client's side of the failure.
    public var startupChecks = true
    /// The deadline for a handshake, enforced by a loop timer.
    public var handshakeTimeout: Duration = .seconds(10)
    /// Bytes OpenSSL's read-ahead buffer holds (nil: OpenSSL's default, one record). A
    /// larger one lets one read(2) bring many records and moves a cut record's start less
    /// often; tlschat-bench's connections, which receive far more than they send, use it.
    public var readBufferLength: Int?
    /// Client: pins of the server's public key (see `ServerKeyPin`); when not empty the server
    /// must match one of them. With `trustRoots` too, normal verification AND a pin; with
    /// `trustRoots` nil, the pin stands in for the CA (TLSContext+Pinning says what exactly).
    public var serverKeyPins: [ServerKeyPin] = []
    /// Client: look at the server's certificate WITHOUT verifying it (tlschat --print-pin with
    /// no --ca). A connection of such a context refuses to carry any data, and the context
    /// refuses a client certificate (it would be shown to a server nobody verified).
    public var inspectOnly = false

    /// A server; `clientAuthentication` defaults to `.optional` when `clientCA` is given, else `.none`.
    public static func server(
        certificateChainFile: String, privateKeyFile: String, clientCA: String? = nil,
        clientAuthentication: ClientAuthentication? = nil, policy: Policy = .modern
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .server, certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile,
            trustRoots: clientCA.map { .file($0) },
            clientAuthentication: clientAuthentication ?? (clientCA == nil ? .none : .optional),
            policy: policy)
    }

    /// A client that verifies the server against `trustRoots`, optionally presenting a certificate.
    public static func client(
        trustRoots: TrustRoots = .system, certificateChainFile: String? = nil,
        privateKeyFile: String? = nil, policy: Policy = .modern
    ) -> TLSConfiguration {
        TLSConfiguration(
            role: .client, certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile,
            trustRoots: trustRoots, clientAuthentication: .none, policy: policy)
    }
}
