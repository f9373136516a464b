// tlschatd: the TLSChat server executable. Parses options, builds the TLS
// context and listeners (TLS always, plaintext only when asked for), and runs
// the chat/1 service on one event-loop thread until SIGTERM or SIGINT.
// Logic lives in ChatNet and ChatCore; this file only checks and wires options.
import ArgumentParser
import ChatCore
import ChatNet
import Logging
#if canImport(Glibc)
import Glibc
#endif

@main
struct TLSChatDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlschatd",
        abstract: "TLS-secured group chat server speaking chat/1 (see PROTOCOL.md).",
        version: TLSChatVersion.string)

    @Option(help: "Server certificate chain (PEM, leaf first, then every intermediate: exactly this chain is sent).")
    var cert: String

    @Option(help: "Private key of the server certificate (PEM).")
    var key: String

    @Option(help: "Address to listen on with TLS, HOST:PORT; repeatable. Port 0 picks a free port. Default: 0.0.0.0:2222 and [::]:2222.")
    var listen: [String] = []

    @Option(help: "Address for an unencrypted chat/1 listener, HOST:PORT; repeatable. Off unless given; loopback only unless --allow-public-plaintext.")
    var plainListen: [String] = []

    @Flag(help: "Allow --plain-listen on a non-loopback address (traffic and names travel unprotected).")
    var allowPublicPlaintext = false

    @Option(help: "CA file for verifying client certificates. Enables client certificates.")
    var clientCa: String?

    @Option(help: "Client certificates: none, optional or require. Default: optional with --client-ca, else none.")
    var clientAuth: TLSConfiguration.ClientAuthentication?

    @Option(help: "TLS policy: modern (TLS 1.3 only) or intermediate (TLS 1.2 with ECDHE+AEAD, and 1.3).")
    var tlsPolicy: TLSConfiguration.Policy = .modern

    @Option(help: "Seconds a client may take to finish the TLS handshake.")
    var handshakeTimeout: Int = 10

    @Option(help: "Longest accepted line in bytes.")
    var maxLine: Int = 4096

    @Option(help: "Readiness backend: automatic, epoll or poll.")
    var selector: SelectorKind = .automatic

    @Option(help: "Bytes of output queued for one client before it counts as not reading and is disconnected.")
    var maxQueue: Int = 1 << 20

    @Option(help: "Most clients connected at once; more are closed on accept.")
    var maxClients: Int = 10_000

    @Option(help: "Most clients connected at once from one IP address.")
    var maxClientsPerAddress: Int = 100

    @Option(help: "Room every client starts in, or 'none' (nobody is announced to everyone on connect; for large servers).")
    var lobby: String = ChatServerCore.defaultRoom

    /// The lobby as the core takes it: a canonical room name, or nil for none.
    private var lobbyRoom: String? {
        lobby == "none" ? nil : NameRules(limits: ChatLimits()).roomName(lobby)
    }

    @Option(help: "Seconds a client may stay silent after the greeting before its first command.")
    var firstCommandTimeout: Int = 30

    @Option(help: "Seconds of client silence before the server sends PING.")
    var idleTimeout: Int = 300

    @Option(help: "Seconds a client has to answer the server's PING before it is closed.")
    var pingGrace: Int = 30

    @Option(help: "Commands a client may send in a burst before the steady rate applies.")
    var commandBurst: Int = 40

    @Option(help: "Steady commands per second per client; faster commands get ERR RATE_LIMITED.")
    var commandsPerSecond: Double = 20

    func validate() throws {
        guard (1...1_048_576).contains(maxLine) else { throw ValidationError("--max-line must be 1...1048576 bytes") }
        guard (1...3600).contains(handshakeTimeout) else { throw ValidationError("--handshake-timeout must be 1...3600 seconds") }
        guard maxQueue >= 4096 else { throw ValidationError("--max-queue must be at least 4096 bytes") }
        guard maxClients >= 1, maxClientsPerAddress >= 1 else { throw ValidationError("--max-clients and --max-clients-per-address must be at least 1") }
        for (name, value) in [("--first-command-timeout", firstCommandTimeout), ("--idle-timeout", idleTimeout), ("--ping-grace", pingGrace)] {
            guard (1...86_400).contains(value) else { throw ValidationError("\(name) must be 1...86400 seconds") }
        }
        guard lobby == "none" || lobbyRoom != nil else { throw ValidationError("--lobby must be a room name (#name) or none") }
        guard commandBurst >= 1, commandsPerSecond > 0 else { throw ValidationError("--command-burst and --commands-per-second must be positive") }
    }

    mutating func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "tlschatd")
        logger.logLevel = .info
        do {
            try serve(logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }

    private func serve(logger: Logger) throws {
        var tls = TLSConfiguration.server(
            certificateChainFile: cert, privateKeyFile: key, clientCA: clientCa,
            clientAuthentication: clientAuth, policy: tlsPolicy)
        tls.handshakeTimeout = .seconds(handshakeTimeout)
        let context = try TLSContext(tls)
        let loop = try EventLoop(selector: selector)
        HeapTuning.keepFreedMemory(upTo: 64 << 20)
        // With TZ unset, glibc stats /etc/localtime again for every log line's timestamp
        // (two system calls per connection); naming the same zone once avoids that.
        setenv("TZ", ":/etc/localtime", 0)
        do {  // each client costs one descriptor
            try DescriptorLimit.raiseToHardLimit()
        } catch {
            logger.warning("could not raise the descriptor limit", metadata: ["error": "\(error)"])
        }
        var limits = ChatLimits()
        limits.maximumLineLength = maxLine
        let server = ChatServer(
            loop: loop, context: context, core: ChatServerCore(limits: limits, lobby: lobbyRoom),
            settings: ChatServer.Settings(
                maximumLineLength: maxLine, maximumQueuedOutput: maxQueue, maximumClients: maxClients,
                maximumClientsPerAddress: maxClientsPerAddress, firstCommandTimeout: .seconds(firstCommandTimeout),
                idleTimeout: .seconds(idleTimeout), pingGrace: .seconds(pingGrace), commandBurst: commandBurst,
                commandsPerSecond: commandsPerSecond),
            logger: logger)
        // Signals first: a SIGTERM right after the port is announced must already shut down cleanly.
        let signals = try SignalWatcher(loop: loop, signals: [SIGTERM, SIGINT]) { number in
            logger.info("received signal \(number), shutting down")
            server.shutDown()
        }
        let plainAddresses = try plainListen.flatMap { try SocketAddress.resolve($0) }
        if let exposed = plainAddresses.first(where: { !$0.isLoopback }), !allowPublicPlaintext {
            throw ValidationError("refusing plaintext listener on non-loopback \(exposed): add --allow-public-plaintext if you really mean it")
        }
        let tlsAddresses = try (listen.isEmpty ? ["0.0.0.0:2222", "[::]:2222"] : listen).flatMap { try SocketAddress.resolve($0) }
        for (address, transport) in tlsAddresses.map({ ($0, Transport.tls) }) + plainAddresses.map({ ($0, Transport.plain) }) {
            let bound: SocketAddress
            do {
                bound = try server.listen(on: address, transport: transport)
            } catch {
                throw ValidationError("cannot listen on \(address): \(error)")
            }
            if transport == .plain {
                logger.warning("PLAINTEXT listener on \(bound): messages and names are not encrypted or authenticated")
            }
            announce("listening \(transport.rawValue) \(bound.host) \(bound.port)\n")
        }
        logger.info("started", metadata: ["policy": "\(tlsPolicy)", "client-auth": "\(tls.clientAuthentication)",
                                          "selector": "\(loop.selectorKind)"])
        try loop.run()
        signals.close()
        logger.info("stopped")
    }

    /// Writes a machine-readable line to stdout unbuffered, so a test or script reading the pipe sees it at once.
    private func announce(_ line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress, $0.count) }
    }
}


extension SelectorKind: ExpressibleByArgument {}
extension TLSConfiguration.ClientAuthentication: ExpressibleByArgument {}
extension TLSConfiguration.Policy: ExpressibleByArgument {}
