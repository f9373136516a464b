// ClusterFaultTests: a node's start and life against a NATS server that turns
// it away, with a real nats-server (its configuration file gives the node's
// user and permissions). A node that cannot read its history stream's last
// sequence does not start (its room feeds would replay old messages as new);
// a node whose credentials are refused for good after a configuration reload
// of NATS (the client closes) stops with an error instead of chatting alone
// forever. A node that cannot reach NATS within its start timeout says why
// (the last attempt's failure, not its own giving up); a node refused with
// credentials given in its NATS URL is not told that none were given.
// Loopback only, deadlines on every wait, processes stopped by PID.
import ChatServerKit
import Foundation
import Logging
import Testing

@Suite("cluster faults (nats-server refusing a node)", .serialized)
struct ClusterFaultTests {
    let pki = TestPKI.shared

    /// A nats-server configuration with one user, `node`, and the permissions block `permissions`.
    static func natsConfiguration(password: String, permissions: String = "") -> String {
        "authorization { users = [ { user: node, password: \"\(password)\"\(permissions.isEmpty ? "" : ", " + permissions) } ] }\n"
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test("a node that cannot read the history stream's state refuses to start, saying why")
    func streamStateUnreadableStopsTheStart() throws {
        let directory = try NATSServerProcess.temporaryDirectory("fault")
        defer { NATSServerProcess.remove(directory) }
        let deny = "permissions: { publish: { deny: [\"$JS.API.STREAM.INFO.TLSCHAT_MAIN\"] } }"
        try Self.write(Self.natsConfiguration(password: "secret", permissions: deny), to: directory + "/nats.conf")
        try Self.write("secret\n", to: directory + "/password")
        let nats = try NATSServerProcess(extraArguments: ["-c", directory + "/nats.conf"])
        defer { nats.stop() }
        var configuration = ServerConfiguration(certificateChainFile: pki.cert("server"), privateKeyFile: pki.key("server"))
        configuration.listen = ["127.0.0.1:0"]
        configuration.historyPath = directory + "/unused.sqlite"  // cluster history lives in JetStream
        var cluster = ClusterConfiguration(urls: [nats.url])
        (cluster.user, cluster.passwordFile, cluster.startTimeoutSeconds) = ("node", directory + "/password", 2)
        configuration.cluster = cluster
        let logger = Logger(label: "cluster-fault") { _ in SwiftLogNoOpLogHandler() }
        do {
            _ = try ChatService(configuration: configuration, logger: logger, handleSignals: false)
            Issue.record("the node started without knowing the stream's last sequence")
        } catch {
            #expect("\(error)".contains("cannot read the state of the history stream"), "\(error)")
        }
    }

    @Test("a node whose NATS credentials are refused for good stops with an error (exit status 1)")
    func refusedCredentialsEndTheNode() throws {
        let directory = try NATSServerProcess.temporaryDirectory("fault")
        defer { NATSServerProcess.remove(directory) }
        try Self.write(Self.natsConfiguration(password: "secret"), to: directory + "/nats.conf")
        try Self.write("secret\n", to: directory + "/password")
        let nats = try NATSServerProcess(extraArguments: ["-c", directory + "/nats.conf"])
        defer { nats.stop() }
        let node = try ServerProcess(["--cluster", nats.url, "--cluster-user", "node", "--cluster-password-file", directory + "/password"])
        defer { if node.child.isRunning { _ = node.stop() } }
        #expect(ChildProcess.waitUntil(timeout: 20) { node.log.contains("started") }, "\(node.log)")
        // The operator changes the node's password in NATS and reloads it (SIGHUP, by PID).
        try Self.write(Self.natsConfiguration(password: "changed"), to: directory + "/nats.conf")
        kill(nats.pid, SIGHUP)
        #expect(ChildProcess.waitUntil(timeout: 30) { !node.child.isRunning }, "the node is still running: \(node.log.suffix(2000))")
        #expect(node.child.process.terminationStatus == 1, "\(node.log.suffix(2000))")
        #expect(node.log.contains("the NATS client gave up"), "\(node.log.suffix(2000))")
    }

    /// A node of `cluster`'s configuration, started in this process; the error that stops its start.
    func startError(_ cluster: ClusterConfiguration, directory: String) -> String? {
        var configuration = ServerConfiguration(certificateChainFile: pki.cert("server"), privateKeyFile: pki.key("server"))
        configuration.listen = ["127.0.0.1:0"]
        configuration.historyPath = directory + "/unused.sqlite"
        configuration.cluster = cluster
        let logger = Logger(label: "cluster-fault") { _ in SwiftLogNoOpLogHandler() }
        do {
            _ = try ChatService(configuration: configuration, logger: logger, handleSignals: false)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test("a node that cannot reach NATS within its start timeout names the last attempt's failure")
    func unreachableNATSIsExplained() throws {
        let directory = try NATSServerProcess.temporaryDirectory("fault")
        defer { NATSServerProcess.remove(directory) }
        var cluster = ClusterConfiguration(urls: ["nats://127.0.0.1:1"])  // nothing listens on port 1
        cluster.startTimeoutSeconds = 1
        let error = try #require(startError(cluster, directory: directory), "the node started without NATS")
        #expect(error.contains("cannot reach NATS at nats://127.0.0.1:1 within 1 s"), "\(error)")
        #expect(error.contains("nats://127.0.0.1:1: "), "the reason is the last attempt's: \(error)")
        #expect(!error.contains("closed by the caller"), "\(error)")
    }

    @Test("a node refused with credentials in its NATS URL is not told that it gave none")
    func refusedURLCredentialsAreNotCalledMissing() throws {
        let directory = try NATSServerProcess.temporaryDirectory("fault")
        defer { NATSServerProcess.remove(directory) }
        try Self.write(Self.natsConfiguration(password: "secret"), to: directory + "/nats.conf")
        let nats = try NATSServerProcess(extraArguments: ["-c", directory + "/nats.conf"])
        defer { nats.stop() }
        let url = nats.url.replacingOccurrences(of: "nats://", with: "nats://node:wrong@")
        let error = try #require(startError(ClusterConfiguration(urls: [url]), directory: directory), "the node started")
        #expect(error.contains("Authorization Violation"), "\(error)")
        #expect(!error.contains("none were given"), "\(error)")
        #expect(!error.contains("wrong"), "the URL's password was printed: \(error)")
    }
}
