// ChatService: the whole chat/1 server assembled from a ServerConfiguration:
// the TLS context (with its start-up checks), one event loop, the chat core,
// its history when configured (HistoryKeeper; SIGXFSZ is then ignored so a
// file size limit is a failed write, not the end of the server), the
// listeners (TLS always, plaintext only when asked for and loopback unless
// allowed; those marked --proxy-protocol read a PROXY v2 header first), the
// TLSReloader (certificate files watched and reloaded; revoked
// sessions ended), the ConfigReloader when tlschatd was given --config
// (the file watched and re-read; live settings applied in
// ChatService+Reload), and, when asked to, the signals that stop it (SIGTERM,
// SIGINT) or reload it (SIGHUP: the config file, then the certificate
// files), and the service manager's notifications
// (SystemdNotifier: READY once every listener is open, RELOADING/READY around
// a SIGHUP reload, STOPPING at shutdown, WATCHDOG from the loop when asked),
// and the Prometheus /metrics endpoint when asked for (ChatService+Metrics).
// In cluster mode `run` ends with an error when the NATS client gives up for
// good (ClusterJoiner). tlschatd only fills the configuration and calls `run`; tests build one
// in-process and drive its loop. It does not parse flags, tune the process
// (heap, descriptor limit) or print anything but through its logger and the
// `announce` callback.
import ChatCore
import ChatNet
import Logging
#if canImport(Glibc)
import Glibc
#endif

public final class ChatService {
    public let loop: EventLoop
    let server: ChatServer
    private let logger: Logger
    let configuration: ServerConfiguration
    private var signals: SignalWatcher?
    private var history: HistoryKeeper?
    private var cluster: ClusterJoiner?
    private let notifier = SystemdNotifier(environment: ChatService.serviceManagerEnvironment())
    private var watchdogTimer: LoopTimer?
    /// Why the service stopped on its own (`run` then throws it).
    private var failure: String?
    let tlsReloader: TLSReloader
    /// The --config file's reloader, when the server was started with one.
    var configReloader: ConfigReloader?
    /// The /metrics endpoint (--metrics-listen), if asked for (ChatService+Metrics).
    var metricsEndpoint: MetricsEndpoint?
    /// Where each metrics listener is bound, in the order opened.
    public internal(set) var boundMetricsAddresses: [SocketAddress] = []
    /// Where each listener is bound (port 0 resolved), in the order they were opened.
    public private(set) var boundAddresses: [(transport: Transport, address: SocketAddress)] = []
    /// Where each IRC listener is bound (--irc-listen, --irc-plain-listen), in the order opened.
    public private(set) var boundIRCAddresses: [(transport: Transport, address: SocketAddress)] = []

    /// Checks the configuration and its files, binds every listener and (with
    /// `handleSignals`) starts watching signals; `announce` hears one
    /// "listening TRANSPORT HOST PORT" line per listener. Throws a readable
    /// error for anything that would make the server fail later.
    public init(configuration: ServerConfiguration, logger: Logger, handleSignals: Bool = true,
                configFile: ConfigFileSource? = nil, announce: (String) -> Void = { _ in }) throws {
        if let problem = configuration.problems().first { throw ServiceError(problem) }
        self.configuration = configuration
        self.logger = logger
        let context = try TLSContext(configuration.tls)
        for warning in context.warnings { logger.warning("\(warning)") }
        loop = try EventLoop(selector: configuration.selector)
        var limits = configuration.chatLimits
        limits.certificateOnlyRooms = configuration.certificateOnlyRoomKeys
        let core = ChatServerCore(limits: limits, lobby: configuration.lobbyRoom)
        core.historyOnJoin = configuration.historyOnJoin
        core.certificateExpiryWarningDays = configuration.certificateExpiryWarningDays
        core.requireStartTLS = configuration.plainRequireStartTLS
        tlsReloader = try TLSReloader(configuration: configuration.tls, initial: context, loop: loop, logger: logger,
                                   watch: configuration.watchCertificateFiles)
        server = ChatServer(loop: loop, contexts: tlsReloader.contexts, core: core, settings: configuration.serverSettings, logger: logger)
        tlsReloader.onReloaded = { [unowned server] fresh in
            if fresh.checksRevocation { server.endRevokedSessions(by: fresh) }
        }
        if let clustered = configuration.cluster {
            let joined = try ClusterJoiner(configuration: clustered, history: configuration.historySettings, core: core,
                                           loop: loop, logger: logger)
            cluster = joined
            joined.onGaveUp = { [unowned self] reason in
                failure = "cluster: the NATS client gave up (\(reason)); stopping so the node can be restarted"
                shutDown()
            }
            history = try HistoryKeeper(store: joined.store, place: ("stream", joined.store.subjects.historyStream),
                                        settings: configuration.historySettings!, core: core, loop: loop, logger: logger,
                                        metrics: server.metrics)
        } else if let settings = configuration.historySettings {
            // A file size limit (RLIMIT_FSIZE) reached while writing history must come back
            // as a failed write (EFBIG: the message is delivered, reported `unstored`), not
            // kill the server: SIGXFSZ's default action ends the process.
            signal(SIGXFSZ, SIG_IGN)
            history = try HistoryKeeper(store: try HistoryKeeper.openSQLite(settings), place: ("file", settings.path),
                                        settings: settings, core: core, loop: loop, logger: logger,
                                        metrics: server.metrics)
        }
        if let configFile {
            let watcher = ConfigReloader(path: configFile.path, initial: configFile.initial, level: configFile.level, loop: loop,
                                         logger: logger, watch: configuration.watchCertificateFiles, load: configFile.load)
            watcher.apply = { [unowned self] new, tlsChanged in try applyReloaded(new, tlsChanged: tlsChanged) }
            configReloader = watcher
        }
        // Signals first: a SIGTERM right after the port is announced must already shut down cleanly.
        if handleSignals {
            signals = try SignalWatcher(loop: loop, signals: [SIGTERM, SIGINT, SIGHUP]) { [unowned self] number in
                self.received(signal: number)
            }
        }
        try openListeners(announce: announce)
        try openMetricsListeners(announce: announce)
        notifier.notify("READY=1\nSTATUS=serving chat/1 on \(boundAddresses.map { "\($0.transport.rawValue) \($0.address)" }.joined(separator: ", "))")
        if let interval = notifier.watchdogInterval {
            watchdogTimer = loop.scheduleRepeating(every: interval) { [unowned self] in notifier.notify("WATCHDOG=1") }
        }
        logger.info("started", metadata: [
            "version": "\(TLSChatVersion.string)", "policy": "\(configuration.tlsPolicy)",
            "client-auth": "\(configuration.tls.clientAuthentication)", "selector": "\(loop.selectorKind)"])
    }

    private func openListeners(announce: (String) -> Void) throws {
        let plainAddresses = try configuration.plainListen.flatMap { try SocketAddress.resolve($0) }
        let ircPlainAddresses = try configuration.ircPlainListen.flatMap { try SocketAddress.resolve($0) }
        if let exposed = (plainAddresses + ircPlainAddresses).first(where: { !$0.isLoopback }), !configuration.allowPublicPlaintext {
            throw ServiceError("refusing plaintext listener on non-loopback \(exposed): add --allow-public-plaintext if you really mean it")
        }
        let tlsAddresses = try configuration.listen.flatMap { try SocketAddress.resolve($0) }
        for (address, transport) in tlsAddresses.map({ ($0, Transport.tls) }) + plainAddresses.map({ ($0, Transport.plain) }) {
            let bound: SocketAddress
            do {
                bound = try server.listen(on: address, transport: transport, reusePort: configuration.reusePort,
                                          relay: try relayPolicy(for: address))
            } catch {
                throw ServiceError("cannot listen on \(address): \(error)")
            }
            if transport == .plain {
                logger.warning("PLAINTEXT listener on \(bound): messages and names are not encrypted or authenticated")
            }
            boundAddresses.append((transport, bound))
            announce("listening \(transport.rawValue) \(bound.host) \(bound.port)\n")
        }
        try openIRCListeners(plainAddresses: ircPlainAddresses, announce: announce)
    }

    /// The IRC listeners: "listening irc HOST PORT" (TLS) and "listening irc-plain HOST PORT".
    private func openIRCListeners(plainAddresses: [SocketAddress], announce: (String) -> Void) throws {
        let tlsAddresses = try configuration.ircListen.flatMap { try SocketAddress.resolve($0) }
        for (address, transport) in tlsAddresses.map({ ($0, Transport.tls) }) + plainAddresses.map({ ($0, Transport.plain) }) {
            let bound: SocketAddress
            do {
                bound = try server.listen(on: address, transport: transport, reusePort: configuration.reusePort, dialect: .irc,
                                          relay: try relayPolicy(for: address))
            } catch {
                throw ServiceError("cannot listen for IRC on \(address): \(error)")
            }
            if transport == .plain {
                logger.warning("PLAINTEXT IRC listener on \(bound): messages and names are not encrypted or authenticated")
            }
            boundIRCAddresses.append((transport, bound))
            announce("listening \(transport == .tls ? "irc" : "irc-plain") \(bound.host) \(bound.port)\n")
        }
    }

    /// The PROXY protocol rules for a listener on `address`, or nil when it is not marked.
    private func relayPolicy(for address: SocketAddress) throws -> ChatServer.RelayPolicy? {
        guard try configuration.proxyProtocolAddresses().contains(address) else { return nil }
        logger.info("listener expects a PROXY protocol v2 header first", metadata: [
            "address": "\(address)", "trusted": "\(configuration.proxyTrustedPrefixes.map(\.description).joined(separator: ","))"])
        return ChatServer.RelayPolicy(trusted: configuration.proxyTrustedPrefixes,
                                      headerTimeout: .seconds(configuration.handshakeTimeoutSeconds))
    }

    private func received(signal number: Int32) {
        if number == SIGHUP {
            logger.notice("received SIGHUP: reloading the certificate, key, client CA and CRL files\(configReloader == nil ? "" : " and the config file")")
            notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(MonotonicClock.now() / 1000)")
            configReloader?.reload(trigger: "SIGHUP")
            tlsReloader.reload(trigger: "SIGHUP")
            notifier.notify("READY=1")
            return
        }
        logger.info("received signal \(number), shutting down")
        shutDown()
    }

    /// Runs the loop until the server has shut down (SIGTERM, SIGINT or `shutDown`); throws
    /// when it stopped because of a failure (its cluster's NATS client gave up).
    public func run() throws {
        try loop.run()
        tlsReloader.close()
        configReloader?.close()
        history?.close()
        signals?.close()
        signals = nil
        if let failure { throw ServiceError(failure) }
        logger.info("stopped")
    }

    /// Stops accepting, tells every client, closes them gracefully; `run` returns once all are gone.
    public func shutDown() {
        notifier.notify("STOPPING=1")
        watchdogTimer?.cancel()
        metricsEndpoint?.close()
        metricsEndpoint = nil
        server.shutDown()  // first: what the core staged is handed to the store (published) now
        cluster?.close()  // then the other nodes see this node's users leave at once; the close flushes
        cluster = nil
    }

    /// Sessions the chat core holds.
    public var sessionCount: Int { server.core.sessionCount }
    /// Connections the server tracks (greeted or not).
    public var connectionCount: Int { server.connectionCount }
    /// Client connection objects still allocated: more than `connectionCount` means finished ones leak.
    public var liveConnectionObjects: Int { server.liveClients.value }
}

extension ChatService {
    /// The variables of the service manager's protocol, from the process environment.
    static func serviceManagerEnvironment() -> [String: String] {
        var found: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { found[name] = String(cString: value) }
        }
        return found
    }
}

/// A configuration or start-up problem, as one line for the operator.
public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
