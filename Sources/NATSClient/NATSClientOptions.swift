// NATSClientOptions: everything a NATSClient is configured with: the seed
// servers, credentials, TLS, keep-alive, reconnect policy and the bounds on
// buffers and outstanding requests. A plain value with documented defaults;
// it does not validate files (TLSContext does, when the client starts).
import ChatNet

public struct NATSClientOptions: Sendable {
    /// Seed servers, tried in order (then the ones the servers advertise). At least one.
    public var servers: [NATSServerURL]
    /// The connection name shown by the server's monitoring.
    public var name: String
    /// User and password (CONNECT user/pass); a URL's own credentials win for that URL.
    public var user: String?
    public var password: String?
    /// Token (CONNECT auth_token).
    public var token: String?
    /// A user nkey seed ("SU..."): the client signs the server's nonce with it (CONNECT nkey/sig).
    public var nkeySeed: String?
    /// A user JWT and its seed (a `.creds` file, NATSUserCredentials): CONNECT carries the JWT and
    /// the server's nonce signed with the seed (CONNECT jwt/sig). Not with `nkeySeed`.
    public var userCredentials: NATSUserCredentials?
    /// TLS client configuration (trust roots, optional client certificate). When set, TLS is
    /// required for every server. When nil, TLS is still used (with the system CA store)
    /// for a `tls://` URL or a server whose INFO says tls_required; CONNECT never goes in plaintext then.
    public var tls: TLSConfiguration?
    /// The name the server certificate must match; nil: the URL's host.
    public var tlsServerName: String?
    /// Deliver our own publishes back to our subscriptions (CONNECT echo).
    public var echo = true

    /// How often we PING the server when connected.
    public var pingInterval: Duration = .seconds(20)
    /// After this many of our PINGs are unanswered the connection is stale and is dropped.
    public var maximumPingsOutstanding = 2
    /// Deadline for one attempt: TCP connect, INFO, TLS handshake, CONNECT and its PONG.
    public var connectTimeout: Duration = .seconds(5)

    /// Reconnect delay: `reconnectBaseDelay * 2^failures`, at most `reconnectMaximumDelay`,
    /// plus a random jitter of up to `reconnectJitter`.
    public var reconnectBaseDelay: Duration = .milliseconds(100)
    public var reconnectMaximumDelay: Duration = .seconds(5)
    public var reconnectJitter: Duration = .milliseconds(100)
    /// A connection that breaks sooner than this after coming up counts as a failed attempt
    /// (the backoff keeps growing); one that lasted longer starts the backoff afresh.
    public var stableConnectionDuration: Duration = .seconds(2)
    /// Consecutive failed attempts before the client gives up and closes (nil: never).
    public var maximumReconnectAttempts: Int? = nil
    /// Consecutive "Authorization Violation" answers before the client gives up and closes.
    public var maximumAuthorizationFailures = 3

    /// Publishes kept while disconnected, in bytes; beyond it `publish` throws `.reconnectBufferFull`.
    public var reconnectBufferLimit = 8 * 1024 * 1024
    /// Bytes queued on a live connection beyond which `publish` throws `.wouldBlock`.
    public var outgoingBufferLimit = 8 * 1024 * 1024
    /// The largest message accepted from a server, whatever its INFO max_payload claims
    /// (NATS servers allow at most 64 MiB).
    public var maximumIncomingPayload = 64 * 1024 * 1024
    /// The longest control line accepted from the server.
    public var maximumControlLine = NATSProtocolParser.defaultMaximumControlLine
    /// Requests waiting for replies at once; more throw `.tooManyOutstandingRequests`.
    public var maximumOutstandingRequests = 4096
    /// Default deadline of a request.
    public var requestTimeout: Duration = .seconds(5)
    /// Subscriptions at once (requests share one).
    public var maximumSubscriptions = 65536
    /// Servers remembered, seeds included (advertised ones beyond it are ignored).
    public var maximumKnownServers = 32
    /// Refuse locally a message larger than the server's max_payload (tests turn it off to
    /// see the server's own -ERR).
    var checksMaximumPayload = true

    public init(servers: [NATSServerURL], name: String = "NATSClient") {
        self.servers = servers
        self.name = name
    }

    /// Parses seed URL strings ("nats://host:port", "tls://host:port").
    public init(urls: [String], name: String = "NATSClient") throws(NATSError) {
        var servers: [NATSServerURL] = []
        for url in urls { servers.append(try NATSServerURL.parse(url)) }
        self.init(servers: servers, name: name)
    }
}

/// What the client reports to its owner, on the loop thread.
public enum NATSClientEvent: Sendable, Equatable {
    /// The first connection is up (CONNECT answered).
    case connected(NATSServerURL)
    /// A connection that was up is gone; the client will reconnect (unless closed).
    case disconnected(reason: String)
    /// Connected again after a disconnect; subscriptions were renewed and buffered publishes sent.
    case reconnected(NATSServerURL)
    /// One connection attempt failed (before it was up).
    case connectAttemptFailed(NATSServerURL, reason: String)
    /// After a publish was refused with `wouldBlock`: the outgoing queue has drained to half
    /// its limit, publishing may resume.
    case writable
    /// The server sent -ERR (it may close the connection afterwards).
    case serverError(String)
    /// The client stopped for good: `close()` was called or it gave up reconnecting.
    case closed(reason: String)
}
