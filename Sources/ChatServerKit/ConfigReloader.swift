// ConfigReloader: keeps a running server in step with its --config file. The
// file is watched (FileWatcher: inotify on its directory, debounced, like the
// certificate files) and SIGHUP asks for a reload too. A reload reads the file
// and the same command line again (the `load` closure tlschatd gives), then
// compares every key's values with the running ones. Keys in `liveKeys` apply
// at once, through the ChatService's `apply` (limits, rate limits, timeouts,
// expiry warnings, log level, and the certificate files, which pass the
// TLSReloader's checks first); any other changed key is logged once as
// "needs a restart: KEY" and keeps its running value. A file that does not
// load, or certificate files that fail their checks, change nothing: one
// error line says why and the previous configuration stays. Clients stay
// connected throughout. It does not parse TOML (ConfigFile) or flags.
import ChatNet
import Logging

public final class ConfigReloader {
    /// One reading of the config file and command line.
    public struct Loaded: Sendable {
        public var configuration: ServerConfiguration
        /// Every key given (in the file or on the command line) and its values.
        public var settings: [String: [String]]
        public var logLevel: Logger.Level

        public init(configuration: ServerConfiguration, settings: [String: [String]], logLevel: Logger.Level) {
            self.configuration = configuration
            self.settings = settings
            self.logLevel = logLevel
        }
    }

    /// Keys a running server takes without a restart. A new live key adds its name here
    /// (one line) and its effect to ChatService.applyReloaded.
    public static let liveKeys: Set<String> = Set([
        "max-line", "max-queue", "max-clients", "max-clients-per-address", "command-burst", "commands-per-second",
        "first-command-timeout", "idle-timeout", "ping-grace", "max-rooms-per-client", "max-rooms", "max-list-items",
        "warn-expiry-days", "history-on-join", "log-level",
    ]).union(tlsKeys)
    /// Live keys that make a new TLS context (checked like a certificate reload).
    public static let tlsKeys: Set<String> = ["cert", "key", "client-ca", "crl"]

    let path: String
    private let load: () throws -> Loaded
    private let logger: Logger
    private let level: LogLevelControl
    /// What the server runs with now (restart-only keys keep their values from the start).
    private(set) var running: Loaded
    /// The last values of each key reported as needing a restart (reported once per value).
    private var reported: [String: [String]] = [:]
    private var watcher: FileWatcher?
    private var attempted: [TLSReloader.FileStamp]
    /// Applies a reloaded configuration's live settings; throws (changing nothing) when its
    /// certificate files are refused.
    var apply: (_ new: ServerConfiguration, _ tlsChanged: Bool) throws -> Void = { _, _ in }

    init(path: String, initial: Loaded, level: LogLevelControl, loop: EventLoop, logger: Logger, watch: Bool,
         load: @escaping () throws -> Loaded) {
        self.path = path
        self.load = load
        self.logger = logger
        self.level = level
        running = initial
        attempted = TLSReloader.stamps(of: [path])
        guard watch else { return }
        do {
            watcher = try FileWatcher(loop: loop, paths: [path]) { [unowned self] in fileChanged() }
        } catch {
            logger.warning("cannot watch the config file for changes; it is reloaded on SIGHUP only", metadata: [
                "file": "\(path)", "error": "\(LogFields.quoted("\(error)"))"])
        }
    }

    deinit { close() }

    func close() {
        watcher?.close()
        watcher = nil
    }

    private func fileChanged() {
        let now = TLSReloader.stamps(of: [path])
        guard now != attempted else { return }
        reload(trigger: "file-change")
    }

    /// Reads the file again and applies what may change live; see the file's description.
    func reload(trigger: String) {
        attempted = TLSReloader.stamps(of: [path])
        _ = try? watcher?.refreshWatches()
        let fresh: Loaded
        do {
            fresh = try load()
        } catch {
            return refuse(trigger: trigger, reason: "\(error)")
        }
        let keys = Set(running.settings.keys).union(fresh.settings.keys)
        let changed = keys.filter { running.settings[$0] != fresh.settings[$0] }.sorted()
        let live = changed.filter { Self.liveKeys.contains($0) }
        let restart = changed.filter { !Self.liveKeys.contains($0) }
        var next = running.configuration
        next.takeLiveSettings(from: fresh.configuration)
        if let problem = next.problems().first {  // e.g. a new --crl with a --client-auth that needs a restart
            return refuse(trigger: trigger, reason: problem)
        }
        do {
            try apply(next, live.contains { Self.tlsKeys.contains($0) })
        } catch {
            return refuse(trigger: trigger, reason: "\(error)")
        }
        level.level = fresh.logLevel
        running.configuration = next
        running.logLevel = fresh.logLevel
        for key in live { running.settings[key] = fresh.settings[key] }
        logger.notice("configuration reloaded", metadata: [
            "trigger": "\(trigger)", "file": "\(path)", "applied": "\(live.isEmpty ? "nothing" : live.joined(separator: ","))"])
        for key in restart where reported[key] != fresh.settings[key] ?? [] {
            reported[key] = fresh.settings[key] ?? []
            logger.warning("needs a restart: \(key)", metadata: ["file": "\(path)", "key": "\(key)"])
        }
    }

    private func refuse(trigger: String, reason: String) {
        logger.error("config reload refused, still using the previous configuration", metadata: [
            "trigger": "\(trigger)", "file": "\(path)", "reason": "\(LogFields.quoted(reason))"])
    }
}

extension ServerConfiguration {
    /// This configuration with the values of ConfigReloader.liveKeys taken from `new`.
    mutating func takeLiveSettings(from new: ServerConfiguration) {
        maximumLineLength = new.maximumLineLength
        maximumQueuedOutput = new.maximumQueuedOutput
        maximumClients = new.maximumClients
        maximumClientsPerAddress = new.maximumClientsPerAddress
        commandBurst = new.commandBurst
        commandsPerSecond = new.commandsPerSecond
        firstCommandTimeoutSeconds = new.firstCommandTimeoutSeconds
        idleTimeoutSeconds = new.idleTimeoutSeconds
        pingGraceSeconds = new.pingGraceSeconds
        maximumRoomsPerClient = new.maximumRoomsPerClient
        maximumRooms = new.maximumRooms
        maximumListedItems = new.maximumListedItems
        certificateExpiryWarningDays = new.certificateExpiryWarningDays
        historyOnJoin = new.historyOnJoin
        certificateChainFile = new.certificateChainFile
        privateKeyFile = new.privateKeyFile
        clientCA = new.clientCA
        revocationListFile = new.revocationListFile
    }
}
