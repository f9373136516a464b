// ServerCheck: what `tlschatd check` reports for a configuration that parsed:
// the TLS files as the server would load them (TLSContext with its start-up
// checks: key match, expiry, serverAuth, client CAs, CRL signatures), then
// ChatNet's inspection (chain order, subjectAltName, days left, CA expiry,
// CRL freshness), then what the server would serve: each listener with its
// transport and dialect, client authentication, history and cluster (with
// its NATS credentials read and checked: ClusterCredentialsCheck). Lines
// start with "ok", "warn" or "FAIL"; any FAIL makes the check fail. It
// binds no socket and opens no history database (the paths are only shown).
import ChatNet

public enum ServerCheck {
    public struct Report: Sendable {
        public var lines: [String] = []
        public var failed = false
    }

    public static func run(_ configuration: ServerConfiguration) -> Report {
        var report = Report()
        func add(_ tag: String, _ text: String) { report.lines.append("\(tag) \(text)") }
        if let problem = configuration.problems().first {  // the parser's validate() ran these already
            add("FAIL", problem)
            report.failed = true
            return report
        }
        var tls = configuration.tls
        tls.startupChecks = true
        do {
            let context = try TLSContext(tls)
            let inspection = context.inspectServerFiles()
            for line in inspection.good { add("ok  ", line) }
            for line in inspection.warnings { add("warn", line) }
            for line in inspection.problems { add("FAIL", line) }
            report.failed = !inspection.problems.isEmpty
        } catch {
            add("FAIL", error.description)
            report.failed = true
        }
        report.lines.append("would serve:")
        for (list, what) in [(configuration.listen, "chat/1 over TLS"), (configuration.plainListen, "chat/1 PLAINTEXT"),
                             (configuration.ircListen, "IRC over TLS"), (configuration.ircPlainListen, "IRC PLAINTEXT")] {
            for address in list { report.lines.append("  listen \(address): \(what)") }
        }
        if configuration.plainRequireStartTLS { report.lines.append("  plaintext listeners require STARTTLS before chat") }
        report.lines.append("  client certificates: \(configuration.tls.clientAuthentication)"
            + (configuration.clientCA.map { " (CA \($0))" } ?? "") + (configuration.revocationListFile.map { ", CRL \($0)" } ?? ""))
        report.lines.append("  TLS policy: \(configuration.tlsPolicy)")
        if let cluster = configuration.cluster {
            report.lines.append("  cluster \(cluster.name) through \(cluster.printableURLs); history in JetStream")
            switch ClusterCredentialsCheck.run(cluster) {
            case .success(let what): add("ok  ", what)
            case .failure(let problem):
                add("FAIL", problem.message)
                report.failed = true
            }
        } else {
            report.lines.append("  history: \(configuration.historyPath ?? "none (no history kept)")")
        }
        report.lines.append("  limits: \(configuration.maximumClients) clients, \(configuration.maximumClientsPerAddress) per address, "
            + "lines of \(configuration.maximumLineLength) bytes, \(configuration.commandsPerSecond) commands/s (burst \(configuration.commandBurst))")
        report.lines.append(report.failed ? "check failed" : "check passed")
        return report
    }
}
