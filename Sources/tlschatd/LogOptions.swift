// LogOptions: tlschatd's --log-format and --log-level flags. The log handler
// that writes them is ChatServerKit's ServerLogHandler; the level can change
// while the server runs (a reloaded --config file).
import ArgumentParser
import ChatServerKit
import Logging

struct LogOptions: ParsableArguments {
    @Option(help: "Log format: text (one readable line per event) or json (one JSON object per line: time, level, label, message and the event's fields; for log shippers). Message contents are never logged.")
    var logFormat: ServerLogHandler.Format = .text

    @Option(help: "Least severe level logged: trace, debug, info, notice, warning, error or critical (a --config file's log-level is applied again on reload).")
    var logLevel: Logger.Level = .info
}

extension ServerLogHandler.Format: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
