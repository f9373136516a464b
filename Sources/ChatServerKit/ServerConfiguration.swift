// ServerConfiguration: everything tlschatd can be told, as one plain value
// with the documented defaults, and the checks that need no file or socket
// (ranges, option combinations). The tlschatd executable fills it from its
// flags; tests fill it directly and run the server in-process. Checks that
// need the certificate files are TLSContext's; binding is ChatService's.
import ChatCore
import ChatHistory
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

public struct ServerConfiguration: Sendable {
    public var certificateChainFile: String
    public var privateKeyFile: String
    /// TLS listeners, HOST:PORT (port 0 picks a free port).
    public var listen = ["0.0.0.0:2222", "[::]:2222"]
    /// Plaintext chat/1 listeners; loopback only unless `allowPublicPlaintext`.
    public var plainListen: [String] = []
    public var allowPublicPlaintext = false
    /// IRC listeners over TLS (README "IRC clients"), HOST:PORT; none unless given.
    public var ircListen: [String] = []
    /// Plaintext IRC listeners: the rules of `plainListen` (loopback unless `allowPublicPlaintext`).
    public var ircPlainListen: [String] = []
    /// Listeners (as given in the four lists above) that expect a PROXY protocol v2 header
    /// from a trusted load balancer first (ServerConfiguration+ProxyProtocol).
    public var proxyProtocolListeners: [String] = []
    /// The load balancers allowed to send that header: IPv4/IPv6 addresses or CIDR ranges.
    public var proxyTrusted: [String] = []
    /// SO_REUSEPORT on every listener: several tlschatd processes share one port (each
    /// serves the connections the kernel gives it; they share nothing else).
    public var reusePort = false
    /// Prometheus /metrics over plain HTTP (ChatService+Metrics), HOST:PORT; none unless given.
    /// Loopback only unless `allowPublicMetrics`.
    public var metricsListen: [String] = []
    public var allowPublicMetrics = false
    /// Plaintext listeners refuse everything but STARTTLS, CAP, PING and BYE until the upgrade.
    public var plainRequireStartTLS = false
    public var clientCA: String?
    /// CRLs (PEM) for client certificates; needs `clientCA`.
    public var revocationListFile: String?
    /// Accept a CRL past its nextUpdate (that one condition only).
    public var allowExpiredRevocationList = false
    /// Watch the certificate, key, client-CA and CRL files and reload on change (inotify).
    public var watchCertificateFiles = true
    /// nil: optional with a client CA, else none.
    public var clientAuthentication: TLSConfiguration.ClientAuthentication?
    public var tlsPolicy: TLSConfiguration.Policy = .modern
    public var handshakeTimeoutSeconds = 10
    public var maximumLineLength = 4096
    public var selector: SelectorKind = .automatic
    public var maximumQueuedOutput = 1 << 20
    public var maximumClients = 10_000
    public var maximumClientsPerAddress = 100
    /// The starting room, or "none".
    public var lobby = ChatServerCore.defaultRoom
    public var firstCommandTimeoutSeconds = 30
    public var idleTimeoutSeconds = 300
    public var pingGraceSeconds = 30
    public var commandBurst = 40
    public var commandsPerSecond = 20.0
    /// Connections one certificate user may hold at once; 1: a new login replaces the old.
    public var sessionsPerUser = 1
    /// Rooms that admit certificate users only whenever they exist (as given, e.g. "#ops").
    public var certificateOnlyRooms: [String] = []
    /// Name and room limits of PROTOCOL.md section 7 (checked in ServerConfiguration+ChatLimits).
    public var maximumRoomsPerClient = 16
    public var maximumRooms = 1000
    public var maximumListedItems = 100
    public var maximumNameLength = 32
    public var maximumRoomNameLength = 32

    /// Tell a `cert` user whose certificate expires within this many days (0: never).
    public var certificateExpiryWarningDays = CertificateExpiryNotice.defaultWarningDays
    /// The history database, or nil: no history is kept. (tlschatd's `--history` default
    /// is `defaultHistoryPath`; the library's is none, so in-process tests opt in.)
    public var historyPath: String?
    /// `full`: fsync at every commit (survives power loss); `normal`: survives a crash of the process.
    public var historySync: SQLiteHistoryStore.Synchronous = .normal
    /// Past messages a `join-history` client gets on JOIN (0: none).
    public var historyOnJoin = 20
    /// Retention: delete messages older than this / beyond the newest N of a room (nil: keep).
    public var historyMaximumAgeSeconds: Int?
    public var historyMaximumMessagesPerRoom: Int?
    /// Join a cluster of nodes over NATS (nil: a single node). History then lives in
    /// JetStream and `historyPath` is not used.
    public var cluster: ClusterConfiguration?

    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }

    /// Where tlschatd keeps history unless told otherwise: $STATE_DIRECTORY (systemd's
    /// StateDirectory=), else $XDG_STATE_HOME/tlschat, else ~/.local/state/tlschat; the file
    /// is history.sqlite there.
    public static var defaultHistoryPath: String {
        let environment = { (name: String) -> String? in getenv(name).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } }
        if let state = environment("STATE_DIRECTORY") { return state + "/history.sqlite" }
        if let xdg = environment("XDG_STATE_HOME") { return xdg + "/tlschat/history.sqlite" }
        return (environment("HOME") ?? ".") + "/.local/state/tlschat/history.sqlite"
    }

    /// "90", "90s", "15m", "12h", "30d" as seconds; nil for anything else.
    public static func seconds(fromDuration text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        let unit = text.last.flatMap { units[$0] }
        guard let number = Int(unit == nil ? text : String(text.dropLast())), number >= 0 else { return nil }
        let (seconds, overflow) = number.multipliedReportingOverflow(by: unit ?? 1)
        return overflow ? nil : seconds
    }

    var historySettings: HistoryKeeper.Settings? {
        historyPath.map {
            HistoryKeeper.Settings(path: $0, synchronous: historySync, maximumAgeSeconds: historyMaximumAgeSeconds,
                                   maximumMessagesPerRoom: historyMaximumMessagesPerRoom)
        }
    }

    /// The lobby as the core takes it: a canonical room name, or nil for none.
    var lobbyRoom: String? {
        lobby == "none" ? nil : NameRules(limits: chatLimits).roomName(lobby)
    }

    /// `certificateOnlyRooms` as the core takes them (canonical names; invalid ones dropped: see problems()).
    var certificateOnlyRoomKeys: Set<String> {
        Set(certificateOnlyRooms.compactMap { NameRules(limits: chatLimits).roomName($0) })
    }

    /// Every problem with the values, each naming the flag and what is allowed; empty when valid.
    public func problems() -> [String] {
        var found: [String] = []
        func require(_ ok: Bool, _ problem: String) { if !ok { found.append(problem) } }
        require((1...1_048_576).contains(maximumLineLength), "--max-line must be 1...1048576 bytes")
        require((1...3600).contains(handshakeTimeoutSeconds), "--handshake-timeout must be 1...3600 seconds")
        require(maximumQueuedOutput >= 4096, "--max-queue must be at least 4096 bytes")
        require(maximumClients >= 1 && maximumClientsPerAddress >= 1,
                "--max-clients and --max-clients-per-address must be at least 1")
        for (name, value) in [("--first-command-timeout", firstCommandTimeoutSeconds), ("--idle-timeout", idleTimeoutSeconds),
                              ("--ping-grace", pingGraceSeconds)] {
            require((1...86_400).contains(value), "\(name) must be 1...86400 seconds")
        }
        found += limitProblems()
        found += proxyProtocolProblems()
        require(lobby == "none" || lobbyRoom != nil, "--lobby must be a room name (# and 1-\(maximumRoomNameLength) characters of A-Z a-z 0-9 . _ -) or none")
        require(commandBurst >= 1 && commandsPerSecond > 0, "--command-burst and --commands-per-second must be positive")
        require((1...64).contains(sessionsPerUser), "--sessions-per-user must be 1...64")
        for room in certificateOnlyRooms {
            let key = NameRules(limits: chatLimits).roomName(room)
            require(key != nil, "--cert-only-room '\(room)' is not a room name (# and 1-\(maximumRoomNameLength) characters of A-Z a-z 0-9 . _ -)")
            require(key == nil || key != lobbyRoom, "--cert-only-room \(room) is the starting room (--lobby), which admits everyone")
        }
        require((0...3650).contains(certificateExpiryWarningDays), "--warn-expiry-days must be 0...3650 (0: never)")
        require((0...ChatServerCore.maximumHistoryLimit).contains(historyOnJoin),
                "--history-on-join must be 0...\(ChatServerCore.maximumHistoryLimit) messages")
        require(historyMaximumAgeSeconds.map { $0 >= 60 } ?? true, "--history-max-age must be at least 60 seconds (e.g. 3600, 90m, 12h, 30d)")
        require(historyMaximumMessagesPerRoom.map { $0 >= 1 } ?? true, "--history-max-messages-per-room must be at least 1")
        require(historyPath.map { !$0.isEmpty } ?? true, "--history needs a file path, or none")
        if revocationListFile != nil && (clientCA == nil || clientAuthentication == TLSConfiguration.ClientAuthentication.none) {
            found.append("--crl needs --client-ca FILE and client certificates (the CRLs are checked against that CA)")
        }
        require(!allowExpiredRevocationList || revocationListFile != nil, "--crl-allow-expired needs --crl FILE")
        require(ircPlainListen.isEmpty || !plainRequireStartTLS,
                "--irc-plain-listen cannot be used with --plain-require-starttls: IRC has no STARTTLS here, so its plaintext users could never upgrade")
        if let cluster {
            found += cluster.problems()
            require(historyPath != nil, "--history none cannot be used with --cluster: the cluster's rooms are ordered and kept "
                + "by JetStream (limit them with --history-max-age or --history-max-messages-per-room)")
        }
        if clientCA == nil, let wanted = clientAuthentication, wanted != .none {
            found.append("--client-auth \(wanted.rawValue) needs --client-ca FILE (the CA that issues client certificates)")
        }
        return found
    }

    var tls: TLSConfiguration {
        var tls = TLSConfiguration.server(
            certificateChainFile: certificateChainFile, privateKeyFile: privateKeyFile, clientCA: clientCA,
            clientAuthentication: clientAuthentication, policy: tlsPolicy)
        tls.handshakeTimeout = .seconds(handshakeTimeoutSeconds)
        tls.revocationListFile = revocationListFile
        tls.allowExpiredRevocationList = allowExpiredRevocationList
        return tls
    }

    var serverSettings: ChatServer.Settings {
        ChatServer.Settings(
            maximumLineLength: maximumLineLength, maximumQueuedOutput: maximumQueuedOutput, maximumClients: maximumClients,
            maximumClientsPerAddress: maximumClientsPerAddress, firstCommandTimeout: .seconds(firstCommandTimeoutSeconds),
            idleTimeout: .seconds(idleTimeoutSeconds), pingGrace: .seconds(pingGraceSeconds), commandBurst: commandBurst,
            commandsPerSecond: commandsPerSecond)
    }
}
