// ServerProcess: the real tlschatd binary on 127.0.0.1 port 0 for an
// integration test. Waits (with a deadline) for its "listening tls HOST PORT"
// line and stops it by PID with SIGTERM (SIGKILL if it will not stop).
// Stopping checks how the server ended: anything but a clean exit 0, or a
// sanitizer report in its log, is recorded as a failure of the running test,
// so a server crash is never hidden behind a `defer`.
import Foundation
import Testing

final class ServerProcess {
    let child: ChildProcess
    let port: Int
    /// The temporary directory of the server's history database (removed at stop), if the test did not name one.
    private(set) var historyDirectory: String?

    /// A launcher that starts tlschatd with no signal blocked, as a shell does (the test
    /// runner's children may inherit blocked signals, which hides where a signal lands).
    static let withSignalsUnblocked = ["python3", "-c",
        "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])"]

    /// Starts tlschatd with the test PKI's server certificate plus `arguments`, on
    /// 127.0.0.1 port `listenPort` (0: any free port, the usual case). `launcher`: a command that
    /// execs tlschatd in its own process (e.g. `["prlimit", "--fsize=N", "--"]`), so the PID stays the server's.
    /// `certificate`: the chain and key files to serve instead of the test PKI's server pair.
    /// `certificateFlags` false: no --cert and --key (a --config file among `arguments` names them).
    init(_ arguments: [String] = [], clientCA: Bool = true, listenPort: Int = 0, environment: [String: String] = [:],
         launcher: [String] = [], certificate: (chain: String, key: String)? = nil, certificateFlags: Bool = true) throws {
        let pki = TestPKI.shared
        let served = certificate ?? (pki.cert("server"), pki.key("server"))
        var all = (certificateFlags ? ["--cert", served.chain, "--key", served.key] : []) + ["--listen", "127.0.0.1:\(listenPort)"]
        if clientCA { all += ["--client-ca", pki.cert("ca")] }
        // History on, in a database of this server's own (tlschatd's default is one per user).
        if !arguments.contains("--history") {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-history-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            historyDirectory = directory
            all += ["--history", directory + "/history.sqlite"]
        }
        let command = launcher + [RepoPaths.executable("tlschatd")] + all + arguments
        let child = try ChildProcess(command[0], Array(command.dropFirst()), environment: environment)
        self.child = child
        var found: Int?
        ChildProcess.waitUntil(timeout: 20) {
            found = child.stdout.text.split(separator: "\n").lazy.compactMap { line -> Int? in
                let words = line.split(separator: " ")
                return words.count == 4 && words[0] == "listening" && words[1] == "tls" ? Int(words[3]) : nil
            }.first
            return found != nil || !child.isRunning
        }
        guard let found else {
            child.stop(signal: SIGKILL)
            throw TestFailure("tlschatd did not announce its port: \(child.stdout.text) \(child.stderr.text)")
        }
        port = found
    }

    var log: String { child.stderr.text }

    /// The first plaintext listener's port, when the server was given --plain-listen
    /// (announced before the TLS port's wait above returns, or shortly after).
    var plainPort: Int? { listeningPort(transport: "plain") }

    /// The port of the first `listening TRANSPORT HOST PORT` line (of HOST, if given), waiting up to 5 s.
    func listeningPort(transport: String, host: String? = nil) -> Int? {
        var found: Int?
        ChildProcess.waitUntil(timeout: 5) {
            found = child.stdout.text.split(separator: "\n").lazy.compactMap { line -> Int? in
                let words = line.split(separator: " ")
                guard words.count == 4, words[0] == "listening", words[1] == transport, host.map({ words[2] == $0 }) ?? true else { return nil }
                return Int(words[3])
            }.first
            return found != nil
        }
        return found
    }

    @discardableResult
    func stop(timeout: TimeInterval = 10) -> Int32 {
        let status = child.stop(timeout: timeout)
        if let historyDirectory { try? FileManager.default.removeItem(atPath: historyDirectory) }
        let endedBySignal = child.process.terminationReason == .uncaughtSignal
        if status != 0 || endedBySignal {
            Issue.record("tlschatd did not exit cleanly on SIGTERM (status \(status), signal: \(endedBySignal)): \(log.suffix(2000))")
        }
        if log.contains("Sanitizer") {
            Issue.record("tlschatd reported a sanitizer finding: \(log.suffix(4000))")
        }
        return status
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
