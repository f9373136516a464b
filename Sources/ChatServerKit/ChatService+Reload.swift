// ChatService+Reload: what a reloaded --config file changes in a running
// service (ConfigReloader decides which keys; this applies them): the
// connection limits, output queue bound, timeouts and command rate of the
// server and of every connected client, the chat core's line, room and list
// limits, the expiry-warning days and join history, and new certificate
// files (through the TLSReloader's checks; a refusal throws and nothing
// changes). It does not read the file or decide what needs a restart.
import ChatNet
import Logging

extension ChatService {
    /// Where tlschatd's config file is and how to read it again (with the same command line).
    public struct ConfigFileSource {
        public var path: String
        public var initial: ConfigReloader.Loaded
        /// The level every logger of the process uses (a reload sets it).
        public var level: LogLevelControl
        public var load: () throws -> ConfigReloader.Loaded

        public init(path: String, initial: ConfigReloader.Loaded, level: LogLevelControl,
                    load: @escaping () throws -> ConfigReloader.Loaded) {
            self.path = path
            self.initial = initial
            self.level = level
            self.load = load
        }
    }

    func applyReloaded(_ new: ServerConfiguration, tlsChanged: Bool) throws {
        if tlsChanged { try tlsReloader.replace(configuration: new.tls) }  // first: it may refuse
        server.update(settings: new.serverSettings)
        server.core.updateReloadableLimits(from: new.chatLimits)
        server.core.certificateExpiryWarningDays = new.certificateExpiryWarningDays
        server.core.historyOnJoin = new.historyOnJoin
    }

    /// Asks for a reload of the config file as SIGHUP does (tests call it directly).
    public func reloadConfigFile() { configReloader?.reload(trigger: "request") }
}
