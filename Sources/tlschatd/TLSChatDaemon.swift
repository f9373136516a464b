// tlschatd: the TLSChat server executable. Parses the flags (under the
// --config file's settings, TLSChatDaemon+Main) into a ServerConfiguration,
// tunes the process (freed-heap retention, descriptor limit, time zone), and
// runs ChatServerKit's ChatService until SIGTERM or SIGINT (SIGHUP, or a
// changed file, reloads the certificate files and the config file). It holds
// no server logic: checks and wiring are in ChatServerKit, transport in
// ChatNet, chat rules in ChatCore. `tlschatd check` is CheckCommand.
import ArgumentParser
import ChatCore
import ChatHistory
import ChatNet
import ChatServerKit
import Logging
#if canImport(Glibc)
import Glibc
#endif

@main
struct TLSChatDaemon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlschatd",
        abstract: "TLS-secured group chat server speaking chat/1 (see PROTOCOL.md).",
        usage: """
            tlschatd --cert <cert> --key <key> [<options>]
            tlschatd --config <file> [<options>]
            tlschatd check --config <file>
            """,
        version: TLSChatVersion.string,
        subcommands: [CheckCommand.self])

    @Option(help: ArgumentHelp("Read settings from this TOML file: every flag below is a key of the same long name (max-clients = 500, listen = [\"0.0.0.0:2222\"], reuse-port = true).",
                               discussion: "Flags given on the command line win over the file (a repeatable flag's values replace the file's list). Relative paths in the file are taken from the file's directory. The file is watched and re-read on change or SIGHUP: limits, rate limits, timeouts, log level and certificate files apply at once, other keys are logged as needing a restart; a broken file is refused with one log line and the previous settings stay. Check a file with `tlschatd check --config FILE`; Scripts/deploy/tlschatd.toml lists every key.", valueName: "file"))
    var config: String?

    @Option(help: ArgumentHelp("Server certificate chain (PEM, leaf first, then every intermediate: exactly this chain is sent).",
                               discussion: "--cert, --key, --client-ca and --crl are watched (their directories and symlink targets, so rename-over and certbot's symlink swaps count) and reloaded on change or SIGHUP without dropping anyone; a broken new file is refused with one log line and the previous files stay in use (a good new CRL still applies alone). A reload may add CAs to --client-ca (a warning names them) but not drop one; the certificate must stay under the same CA. Without inotify, one warning and SIGHUP only. A warning is logged at start, after each reload and daily when the certificate expires within 30 days."))
    var cert: String

    @Option(help: "Private key of the server certificate (PEM).")
    var key: String

    @Option(help: "Address to listen on with TLS, HOST:PORT; repeatable. Port 0 picks a free port. Default: 0.0.0.0:2222 and [::]:2222.")
    var listen: [String] = []

    @Option(help: "Address for an unencrypted chat/1 listener, HOST:PORT; repeatable. Off unless given; loopback only unless --allow-public-plaintext.")
    var plainListen: [String] = []

    @Flag(help: "Allow --plain-listen (and --irc-plain-listen) on a non-loopback address (traffic and names travel unprotected).")
    var allowPublicPlaintext = false

    @Option(help: ArgumentHelp("Address for an IRC listener over TLS, HOST:PORT (conventionally 6697); repeatable. Off unless given.",
                               discussion: "IRC clients (WeeChat, irssi, bots) share the rooms, names and trust of chat/1 users. A client certificate gives the same `cert` name as on chat/1; SASL EXTERNAL is offered to confirm it (no other mechanism, no passwords). Anonymous users' nicks start with ^ (README \"IRC clients\")."))
    var ircListen: [String] = []

    @Option(help: "Address for an unencrypted IRC listener, HOST:PORT; repeatable. Off unless given; loopback only unless --allow-public-plaintext; not with --plain-require-starttls.")
    var ircPlainListen: [String] = []

    @Flag(help: "Listen with SO_REUSEPORT, so several tlschatd processes can share one port and the kernel spreads new connections over them. Without cluster mode they share nothing else (each has its own users and rooms).")
    var reusePort = false

    @Flag(name: .customLong("plain-require-starttls"), help: "On --plain-listen, refuse every command but STARTTLS, CAP, PING and BYE (ERR NOT_ALLOWED) until the client upgrades to TLS with STARTTLS; such clients join the starting room only once upgraded. (STARTTLS itself always works there.)")
    var plainRequireStartTLS = false

    @Option(help: "CA file for verifying client certificates (CA certificates only). Enables client certificates.")
    var clientCa: String?

    @Option(help: ArgumentHelp("CRL file (PEM, one or more CRLs, at most 1000 and 64 MiB, each signed by a CA of --client-ca): client certificates are checked against it, leaf and every intermediate; a revoked one fails the handshake (alert certificate_revoked).",
                               discussion: "Every CA of --client-ca needs a CRL in this file: certificates under a CA without one are refused, and so are those under a CRL past its nextUpdate (see --crl-allow-expired). The file, like --cert, --key and --client-ca, is watched: a new CRL applies to new handshakes within 2 s and ends the sessions it revokes (NOTICE revoked)."))
    var crl: String?

    @Flag(help: "Accept a CRL whose nextUpdate has passed (only that verify error; its revocations still apply). Default: such a CRL refuses every certificate of its CA.")
    var crlAllowExpired = false

    @Option(help: "Client certificates: none, optional or require (optional and require need --client-ca). Default: optional with --client-ca, else none.")
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

    @Option(help: "Rooms one client may be in at once, the starting room included (1-1000); one more JOIN gets ERR TOO_MANY_ROOMS.")
    var maxRoomsPerClient: Int = 16

    @Option(help: "Rooms on the server at once, the starting room included (1-1000000); a JOIN that would create one more gets ERR TOO_MANY_ROOMS.")
    var maxRooms: Int = 1000

    @Option(help: "Items listed in one WHO or ROOMS reply (1-100000); the rest are counted as +N.")
    var maxListItems: Int = 100

    @Option(help: "Longest user name in characters (16-32; anonymous names are ~ plus one less). Longer certificate names are not usable (the user is anonymous).")
    var maxNameLength: Int = 32

    @Option(help: "Longest room name in characters after the # (1-32).")
    var maxRoomNameLength: Int = 32

    @Option(help: "Room every client starts in (a room name; like every room name it is lower-cased: #Main is #main), or 'none' (nobody is announced to everyone on connect; for large servers).")
    var lobby: String = ChatServerCore.defaultRoom

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

    @Option(help: "Connections one certificate user may hold at once (1-64); they share rooms and messages. 1: a new login replaces the old one.")
    var sessionsPerUser: Int = 1

    @Option(help: "A room that admits certificate users only whenever it exists (repeatable; not the starting room). Users can also mark a room with CERTONLY.")
    var certOnlyRoom: [String] = []

    @Option(help: "Tell a user signed in with a client certificate that expires within this many days (NOTICE expiry after the greeting; 0: never).")
    var warnExpiryDays: Int = 14

    @Option(help: ArgumentHelp("History database (SQLite, created 0600), or 'none' to keep no history.",
                               discussion: "Default: $STATE_DIRECTORY/history.sqlite, else $XDG_STATE_HOME/tlschat/history.sqlite, else ~/.local/state/tlschat/history.sqlite."))
    var history: String = ServerConfiguration.defaultHistoryPath

    @Option(help: "History durability: normal (an acknowledged message survives a crash of tlschatd) or full (also a power loss: fsync at every commit).")
    var historySync: SQLiteHistoryStore.Synchronous = .normal

    @Option(help: "Past messages sent on JOIN to clients that enabled join-history (0-500).")
    var historyOnJoin: Int = 20

    @Option(help: "Delete stored messages older than this: seconds, or a number with s, m, h or d (e.g. 30d). Default: keep.")
    var historyMaxAge: String?

    @Option(help: "Keep the newest this many messages per room or private conversation; older ones are deleted. With --cluster it counts stored batches of messages, so at least this many stay. Default: keep.")
    var historyMaxMessagesPerRoom: Int?

    @OptionGroup(title: "Cluster")
    var clusterOptions: ClusterOptions

    @OptionGroup(title: "Behind a load balancer (PROXY protocol v2)")
    var proxyOptions: ProxyProtocolOptions

    @OptionGroup(title: "Metrics")
    var metricsOptions: MetricsOptions

    @OptionGroup(title: "Logging")
    var logOptions: LogOptions

    var serverConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration(certificateChainFile: cert, privateKeyFile: key)
        if !listen.isEmpty { configuration.listen = listen }
        configuration.plainListen = plainListen
        configuration.allowPublicPlaintext = allowPublicPlaintext
        configuration.ircListen = ircListen
        configuration.ircPlainListen = ircPlainListen
        configuration.reusePort = reusePort
        configuration.plainRequireStartTLS = plainRequireStartTLS
        configuration.clientCA = clientCa
        configuration.revocationListFile = crl
        configuration.allowExpiredRevocationList = crlAllowExpired
        configuration.clientAuthentication = clientAuth
        configuration.tlsPolicy = tlsPolicy
        configuration.handshakeTimeoutSeconds = handshakeTimeout
        configuration.maximumLineLength = maxLine
        configuration.selector = selector
        configuration.maximumQueuedOutput = maxQueue
        configuration.maximumClients = maxClients
        configuration.maximumClientsPerAddress = maxClientsPerAddress
        configuration.lobby = lobby
        configuration.maximumRoomsPerClient = maxRoomsPerClient
        configuration.maximumRooms = maxRooms
        configuration.maximumListedItems = maxListItems
        configuration.maximumNameLength = maxNameLength
        configuration.maximumRoomNameLength = maxRoomNameLength
        configuration.firstCommandTimeoutSeconds = firstCommandTimeout
        configuration.idleTimeoutSeconds = idleTimeout
        configuration.pingGraceSeconds = pingGrace
        configuration.commandBurst = commandBurst
        configuration.commandsPerSecond = commandsPerSecond
        configuration.sessionsPerUser = sessionsPerUser
        configuration.certificateOnlyRooms = certOnlyRoom
        configuration.certificateExpiryWarningDays = warnExpiryDays
        configuration.historyPath = history == "none" ? nil : history
        configuration.historySync = historySync
        configuration.historyOnJoin = historyOnJoin
        configuration.historyMaximumAgeSeconds = historyMaxAge.map { ServerConfiguration.seconds(fromDuration: $0) ?? -1 }
        configuration.historyMaximumMessagesPerRoom = historyMaxMessagesPerRoom
        configuration.cluster = clusterOptions.configuration
        proxyOptions.apply(to: &configuration)
        metricsOptions.apply(to: &configuration)
        return configuration
    }

    func validate() throws {
        if let problem = serverConfiguration.problems().first { throw ValidationError(problem) }
    }

    mutating func run() throws {
        try serve(sources: ConfigSources(file: nil, commandLine: [], options: []), reload: nil)
    }

    /// Runs the server; `reload` reads the config file and the command line again (nil without --config).
    func serve(sources: ConfigSources, reload: (() throws -> ConfigReloader.Loaded)?) throws {
        let level = LogLevelControl(logOptions.logLevel)
        LoggingSystem.bootstrap { [format = logOptions.logFormat] in ServerLogHandler(label: $0, format: format, level: level) }
        let logger = Logger(label: "tlschatd")
        HeapTuning.keepFreedMemory(upTo: 64 << 20)
        // With TZ unset, glibc stats /etc/localtime again for every log line's timestamp
        // (two system calls per connection); naming the same zone once avoids that.
        setenv("TZ", ":/etc/localtime", 0)
        do {  // each client costs one descriptor
            try DescriptorLimit.raiseToHardLimit()
        } catch {
            logger.warning("could not raise the descriptor limit", metadata: ["error": "\(error)"])
        }
        do {
            let configFile = reload.map { ChatService.ConfigFileSource(path: config ?? "", initial: loaded(sources), level: level, load: $0) }
            try ChatService(configuration: serverConfiguration, logger: logger, configFile: configFile, announce: announce).run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
    }

    /// Writes a machine-readable line to stdout unbuffered, so a test or script reading the pipe sees it at once.
    private func announce(_ line: String) {
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(1, $0.baseAddress, $0.count) }
    }
}

extension SelectorKind: ExpressibleByArgument {}
extension SQLiteHistoryStore.Synchronous: ExpressibleByArgument {}
extension TLSConfiguration.ClientAuthentication: ExpressibleByArgument {}
extension TLSConfiguration.Policy: ExpressibleByArgument {}
