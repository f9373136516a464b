// CheckCommand: `tlschatd check --config FILE`, like `prosodyctl check`. It
// reads the config file exactly as the server would (same errors), then
// reports what it would serve. It does not start a server or bind a port.
import ArgumentParser
import ChatServerKit

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a config file and its certificates, print what tlschatd would serve; exit 0 if all is well, 1 if not.")

    @Option(help: "The config file to check (TOML; see tlschatd --config).")
    var config: String

    func run() throws {
        let command: TLSChatDaemon
        do {
            (command, _) = try TLSChatDaemon.load(commandLine: ["--config", config])
        } catch {
            print("FAIL config: \(error is ConfigFileError ? "\(error)" : TLSChatDaemon.message(for: error))")
            throw ExitCode.failure
        }
        print("ok   config: \(config)")
        _ = command
    }
}
