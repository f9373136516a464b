// TLSChatDaemon+Main: how tlschatd reads its settings before it starts. With
// --config FILE, the file's keys (ConfigFile) become arguments placed before
// the command line's (ConfigSources: the command line wins, a repeatable
// flag's values replace the file's list), and the argument parser checks the
// whole as usual. Any problem with the file's values is one line naming the
// file, line and key, and tlschatd exits 64. The same steps run again for a
// reload (ChatServerKit's ConfigReloader calls `load`). `tlschatd check` goes
// to CheckCommand. Without --config, everything is as the parser alone does it.
import ArgumentParser
import ChatServerKit
#if canImport(Glibc)
import Glibc
#endif

extension TLSChatDaemon {
    static func main() {
        let commandLine = Array(CommandLine.arguments.dropFirst())
        // The subcommand runs on its own: the root's parser would want --cert and --key first.
        if commandLine.first == CheckCommand.configuration.commandName {
            return CheckCommand.main(Array(commandLine.dropFirst()))
        }
        if commandLine.count == 2, commandLine[0] == "help", commandLine[1] == CheckCommand.configuration.commandName {
            return CheckCommand.main(["--help"])
        }
        let command: TLSChatDaemon, sources: ConfigSources
        do {
            (command, sources) = try load(commandLine: commandLine)
        } catch let error as ConfigFileError {
            fail(error.description)
        } catch {
            exit(withError: error)  // --help, --version, and problems with the command line alone
        }
        do {
            let reload = command.config == nil ? nil : { try loaded(commandLine: commandLine) }
            try command.serve(sources: sources, reload: reload)
        } catch {
            exit(withError: error)
        }
    }

    /// The command as `commandLine` and the config file it names (--config) give it.
    /// Throws ConfigFileError for a problem that involves the file.
    static func load(commandLine: [String]) throws -> (TLSChatDaemon, ConfigSources) {
        let options = ConfigKeys.options
        let file = try configPath(in: commandLine).map { path throws(ConfigFileError) in
            try ConfigFile.load(path: path, options: options)
        }
        let sources = ConfigSources(file: file, commandLine: commandLine, options: options)
        do {
            return (try parse(sources.arguments), sources)
        } catch {
            guard let file, exitCode(for: error) != .success else { throw error }
            let message = sources.explain(self.message(for: error))
            throw ConfigFileError(message.hasPrefix(file.path) ? message : "\(file.path): \(message)")
        }
    }

    /// What a reload takes: the configuration, every key's effective values and the log level.
    static func loaded(commandLine: [String]) throws -> ConfigReloader.Loaded {
        let (command, sources) = try load(commandLine: commandLine)
        return command.loaded(sources)
    }

    func loaded(_ sources: ConfigSources) -> ConfigReloader.Loaded {
        ConfigReloader.Loaded(configuration: serverConfiguration, settings: sources.effective, logLevel: logOptions.logLevel)
    }

    /// The value of --config FILE or --config=FILE, if given.
    static func configPath(in commandLine: [String]) -> String? {
        var found: String?
        for (index, word) in commandLine.enumerated() {
            if word == "--" { break }
            if word == "--config", index + 1 < commandLine.count { found = commandLine[index + 1] }
            if word.hasPrefix("--config=") { found = String(word.dropFirst("--config=".count)) }
        }
        return found
    }

    /// One line on standard error, exit status 64 (a usage error, as the parser's own).
    static func fail(_ line: String) -> Never {
        var bytes = Array("tlschatd: error: \(line)\n".utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
        Glibc.exit(64)
    }
}
