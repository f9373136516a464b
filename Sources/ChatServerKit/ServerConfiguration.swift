// ServerConfiguration: everything tlschatd can be told, as one plain value
// with the documented defaults, and the checks that need no file or socket
// (ranges, option combinations). The tlschatd executable fills it from its
// flags; tests fill it directly and run the server in-process. Checks that
// need the certificate files are TLSContext's; binding is ChatService's.
import ChatCore
import ChatNet

public struct ServerConfiguration: Sendable {
    public var certificateChainFile: String
    public var privateKeyFile: String
    /// TLS listeners, HOST:PORT (port 0 picks a free port).
    public var listen = ["0.0.0.0:2222", "[::]:2222"]
    /// Plaintext chat/1 listeners; loopback only unless `allowPublicPlaintext`.
    public var plainListen: [String] = []
    public var allowPublicPlaintext = false
    public var clientCA: String?
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

    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }

    /// The lobby as the core takes it: a canonical room name, or nil for none.
    var lobbyRoom: String? {
        lobby == "none" ? nil : NameRules(limits: ChatLimits()).roomName(lobby)
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
        require(lobby == "none" || lobbyRoom != nil, "--lobby must be a room name (#name) or none")
        require(commandBurst >= 1 && commandsPerSecond > 0, "--command-burst and --commands-per-second must be positive")
        require((1...64).contains(sessionsPerUser), "--sessions-per-user must be 1...64")
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
