// CheckCommand: `tlschatd check --config FILE`, like `prosodyctl check`. It
// reads the config file exactly as the server would (the same one-line
// errors), then runs ChatServerKit's ServerCheck: the certificates (chain
// order, key match, expiry with days left, subjectAltName, serverAuth, client
// CAs, CRL signature and freshness) and what the server would serve. Exit
// status 0 when all is well, 1 otherwise. It starts no server and binds no port.
import ArgumentParser
import ChatServerKit

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a config file and its certificates and print what tlschatd would serve; exit 0 if all is well, 1 if not.",
        usage: "tlschatd check --config <file>")

    @Option(help: "The config file to check (TOML; see tlschatd --config).")
    var config: String

    func run() throws {
        let command: TLSChatDaemon
        do {
            (command, _) = try TLSChatDaemon.load(commandLine: ["--config", config])
        } catch {
            print("FAIL \(error is ConfigFileError ? "\(error)" : TLSChatDaemon.message(for: error))")
            print("check failed")
            throw ExitCode.failure
        }
        print("ok   config \(config): every key known, every value allowed")
        let report = ServerCheck.run(command.serverConfiguration)
        for line in report.lines { print(line) }
        if report.failed { throw ExitCode.failure }
    }
}
