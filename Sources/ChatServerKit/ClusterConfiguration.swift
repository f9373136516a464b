// ClusterConfiguration: how tlschatd joins a cluster (tlschatd --cluster and
// the --cluster-* flags): the NATS seed URLs, the cluster's name (it names
// the subjects, the history stream and the names bucket, so several clusters
// can share one NATS), JetStream replicas for the history, the node's
// heartbeat and how long a silent node lives on, and how to authenticate to
// NATS (user and password, token, nkey seed, or a user JWT with its seed in a
// .creds file, all read from files so they never show in `ps`; TLS with a CA
// and an optional client certificate). Plain values and their checks;
// ClusterJoiner uses them.
import ChatCluster
import ChatCore
import ChatNet
import NATSClient
#if canImport(Glibc)
import Glibc
#endif

public struct ClusterConfiguration: Sendable {
    /// NATS seed URLs: nats://HOST:PORT or tls://HOST:PORT (TLS required).
    public var urls: [String]
    public var name = "main"
    /// JetStream replicas of the history stream and the names bucket (1, 3 or 5 in practice).
    public var replicas = 1
    public var heartbeatSeconds = 1
    /// A node silent this long is lost: its users leave everywhere (the issue asks for 10 s at most).
    public var deadAfterSeconds = 5
    /// Seconds to wait at start for NATS and JetStream before giving up.
    public var startTimeoutSeconds = 15
    public var user: String?
    public var passwordFile: String?
    public var tokenFile: String?
    public var nkeySeedFile: String?
    /// A NATS `.creds` file (user JWT and user nkey seed, as nsc writes it), read once at start.
    public var credentialsFile: String?
    /// TLS to NATS: the CA that signed the NATS servers' certificates (else the system's).
    public var tlsCA: String?
    public var tlsCertificate: String?
    public var tlsKey: String?

    public init(urls: [String]) { self.urls = urls }

    func problems() -> [String] {
        var found: [String] = []
        func require(_ ok: Bool, _ problem: String) { if !ok { found.append(problem) } }
        require(!urls.isEmpty, "--cluster needs at least one NATS URL (nats://HOST:PORT or tls://HOST:PORT)")
        do { _ = try NATSClientOptions(urls: urls) } catch { found.append("--cluster: \(error)") }
        require(ClusterNaming(clusterName: name) != nil, "--cluster-name must be 1-32 characters of a-z 0-9 _ -")
        require((1...5).contains(replicas), "--cluster-replicas must be 1...5")
        require((1...60).contains(heartbeatSeconds), "--cluster-heartbeat must be 1...60 seconds")
        require(deadAfterSeconds > heartbeatSeconds * 2 && deadAfterSeconds <= 600,
                "--cluster-dead-after must be more than two heartbeats and at most 600 seconds")
        require((user == nil) == (passwordFile == nil), "--cluster-user and --cluster-password-file go together")
        require([passwordFile, tokenFile, nkeySeedFile, credentialsFile].compactMap { $0 }.count <= 1,
                "give one of --cluster-password-file, --cluster-token-file, --cluster-nkey-file, --cluster-creds")
        require((tlsCertificate == nil) == (tlsKey == nil), "--cluster-tls-cert and --cluster-tls-key go together")
        return found
    }

    /// Whether any NATS credential is configured (user, token, nkey, .creds, or in a URL).
    var hasCredentials: Bool {
        user != nil || tokenFile != nil || nkeySeedFile != nil || credentialsFile != nil
            || urls.contains { (try? NATSServerURL.parse($0)).map { $0.user != nil || $0.token != nil } ?? false }
    }

    /// The NATS URLs for messages and logs: credentials in them left out.
    var printableURLs: String {
        urls.map { url in (try? NATSServerURL.parse(url))?.description ?? "(an invalid URL)" }.joined(separator: " ")
    }

    /// The NATS client options, with secrets read from their files.
    func clientOptions(nodeID: String) throws -> NATSClientOptions {
        var options = try NATSClientOptions(urls: urls, name: "tlschatd-\(nodeID)")
        options.user = user
        options.password = try passwordFile.map(Self.secret)
        options.token = try tokenFile.map(Self.secret)
        options.nkeySeed = try nkeySeedFile.map(Self.secret)
        options.userCredentials = try credentialsFile.map { path throws(NATSError) in try NATSUserCredentials.load(path: path) }
        if let credentials = options.userCredentials, credentials.hasExpired(at: Int64(time(nil))) {
            throw ServiceError("\(credentialsFile ?? "the credentials file"): the user JWT expired on "
                + "\(CertificateExpiryNotice.dateText(credentials.expires ?? 0)); NATS would refuse it: issue a new one (nsc generate creds)")
        }
        if tlsCA != nil || tlsCertificate != nil || urls.contains(where: { $0.hasPrefix("tls://") }) {
            options.tls = .client(trustRoots: tlsCA.map { .file($0) } ?? .system,
                                  certificateChainFile: tlsCertificate, privateKeyFile: tlsKey)
        }
        options.connectTimeout = .seconds(5)
        options.reconnectMaximumDelay = .seconds(2)
        return options
    }

    /// The first line of a secret file, without surrounding white space.
    static func secret(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw ServiceError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { throw ServiceError("\(path) is empty") }
        let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let trimmed = line.trimmingWhiteSpace()
        guard !trimmed.isEmpty else { throw ServiceError("\(path) is empty") }
        return trimmed
    }
}

extension String {
    /// Without leading and trailing spaces, tabs, CRs and LFs. Over scalars: as Characters, a
    /// CR LF pair is one grapheme that a set of " \t\r\n" characters does not hold.
    fileprivate func trimmingWhiteSpace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }), let end = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(scalars[start...end])
    }
}
