// NATSCredentialsTests: user-JWT credentials (.creds files) against a real
// nats-server in operator mode (NATSOperatorSetup makes the operator, the
// accounts and the users and signs their JWTs; resolver MEMORY). The
// NATSClient with good credentials connects and works; a user signed by an
// account key the server does not know is refused with the server's
// "Authorization Violation" and an explanation; a client without credentials
// is refused; a server whose INFO has no nonce gets no CONNECT. Two real
// tlschatd nodes joined with --cluster-creds chat across nodes; a node with
// refused credentials, or without any, ends at once with an explained error;
// --cluster-creds with another credential option, or a missing or malformed
// file (also named by the config file's `cluster-creds` key, relative to the
// config file), is refused before anything starts. Loopback only, deadlines, PIDs.
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite("NATS .creds credentials against nats-server in operator mode", .serialized)
struct NATSCredentialsTests {
    let pki = TestPKI.shared

    /// A fresh operator setup and a nats-server (JetStream on) trusting it.
    static func operatorServer(_ label: String) throws -> (NATSOperatorSetup, NATSServerProcess, String) {
        let directory = try NATSServerProcess.temporaryDirectory(label)
        let setup = try NATSOperatorSetup(directory: directory)
        let configuration = try setup.writeServerConfiguration()
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["-c", configuration])
        return (setup, server, directory)
    }

    /// The seed and the JWT signature of a .creds file: what must never be logged.
    static func secrets(of path: String) throws -> (seed: String, signature: String) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        let seed = try #require(lines.first { $0.hasPrefix("SU") })
        let jwt = try #require(lines.first { $0.hasPrefix("ey") })
        return (String(seed), String(jwt.split(separator: ".")[2]))
    }

    @Test("NATSClient: good .creds connect and work; another account's user and no credentials are refused, explained")
    func clientCredentials() throws {
        let (setup, server, directory) = try Self.operatorServer("creds")
        defer { server.stop(); NATSServerProcess.remove(directory) }
        let credentials = try NATSUserCredentials.load(path: try setup.writeUserCredentials(named: "node"))
        let right = try NATSClientProbe(urls: [server.url]) { $0.userCredentials = credentials }
        defer { right.finish() }
        #expect(right.connect(), "\(right.events)\n\(server.log.suffix(1500))")
        try right.client.subscribe("echo") { message in try? right.client.publish(message.replyTo!, text: "pong") }
        #expect(try right.request("echo", "ping").map { try? $0.get().text } == "pong")
        #expect(try right.request("$JS.API.INFO", "").map { (try? $0.get().text)?.contains("account_info_response") } == true)

        let stranger = try NATSOperatorSetup.Key(prefix: NATSOperatorSetup.accountPrefix)
        let foreign = try NATSUserCredentials.load(path: try setup.writeUserCredentials(named: "foreign", signedBy: stranger))
        let wrong = try NATSClientProbe(urls: [server.url]) {
            $0.userCredentials = foreign
            $0.maximumAuthorizationFailures = 1
        }
        defer { wrong.finish() }
        wrong.client.start()
        #expect(wrong.run { wrong.client.state == .closed })
        #expect(wrong.serverErrors.contains("Authorization Violation"), "\(wrong.events)")
        #expect(wrong.closedReason?.contains("refused the user JWT of NATS user credentials for U") == true, "\(wrong.events)")
        #expect(wrong.closedReason?.contains("signed by another operator or account key") == true, "\(wrong.events)")

        let none = try NATSClientProbe(urls: [server.url]) { $0.maximumAuthorizationFailures = 1 }
        defer { none.finish() }
        none.client.start()
        #expect(none.run { none.client.state == .closed })
        #expect(none.serverErrors.contains("Authorization Violation"), "\(none.events)")
        #expect(none.client.serverInfo?.authRequired == true && none.client.serverInfo?.nonce?.isEmpty == false)
    }

    @Test("a server whose INFO has no nonce cannot check a user JWT: no CONNECT is sent, the attempt fails saying why")
    func serverWithoutNonce() throws {
        let directory = try NATSServerProcess.temporaryDirectory("nononce")
        defer { NATSServerProcess.remove(directory) }
        let setup = try NATSOperatorSetup(directory: directory)
        let credentials = try NATSUserCredentials.load(path: try setup.writeUserCredentials(named: "node"))
        let loop = try EventLoop()
        var received = ""
        let fake = try FakeNATSServer(loop: loop) { connection, input in
            received = input
            if input.hasSuffix("PING\r\n") { connection.write("PONG\r\n") }
        }
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) {
            $0.userCredentials = credentials
            $0.maximumReconnectAttempts = 2
        }
        defer { probe.finish(also: fake.close) }
        probe.client.start()
        #expect(probe.run { probe.client.state == .closed })
        #expect(probe.attemptFailures.first?.contains("the server sent no nonce in INFO, so it cannot check a user JWT") == true,
                "\(probe.events)")
        #expect(!received.contains("CONNECT") && !received.contains(credentials.jwt), "\(received)")
    }

    @Test("two tlschatd nodes joined with --cluster-creds chat across nodes")
    func nodesWithCredentials() throws {
        let (setup, server, directory) = try Self.operatorServer("creds-nodes")
        defer { server.stop(); NATSServerProcess.remove(directory) }
        let creds = try setup.writeUserCredentials(named: "nodes")
        let nodes = try (0..<2).map { _ in try ServerProcess(["--cluster", server.url, "--cluster-creds", creds]) }
        defer { for node in nodes { node.stop() } }
        let ports = [nodes[0].port, nodes[1].port, nodes[0].port].map(String.init)
        let run = Subprocess.run("python3", [ClusterTests.clusterClient, "chat", pki.directory] + ports, timeout: 120)
        #expect(run.status == 0 && run.output.contains("PASSED chat"), "\(run.output)\n\(nodes.map { $0.log.suffix(1500) })")
        let (seed, signature) = try Self.secrets(of: creds)
        for node in nodes {
            #expect(!node.log.contains(seed) && !node.log.contains(signature), "a node logged its credentials")
        }
    }

    @Test("a node whose .creds are refused, or that has none, stops at once with an explained error")
    func refusedNodes() throws {
        let (setup, server, directory) = try Self.operatorServer("creds-refused")
        defer { server.stop(); NATSServerProcess.remove(directory) }
        let stranger = try NATSOperatorSetup.Key(prefix: NATSOperatorSetup.accountPrefix)
        let foreign = try setup.writeUserCredentials(named: "foreign", signedBy: stranger)
        let base = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0", "--history", directory + "/unused.sqlite",
                    "--cluster", server.url]
        let tlschatd = RepoPaths.executable("tlschatd")
        let started = Date()
        let refused = Subprocess.run(tlschatd, base + ["--cluster-creds", foreign], timeout: 30)
        #expect(Date().timeIntervalSince(started) < 10, "the node waited for its whole start timeout (15 s)")
        #expect(refused.status != 0, "\(refused.output)")
        #expect(refused.output.contains("Authorization Violation (the server refused the user JWT"), "\(refused.output)")
        // The node gave up as soon as the client did, not at the end of its start timeout.
        #expect(refused.output.contains("cluster: cannot join NATS at \(server.url): authorization failed 3 times"), "\(refused.output)")
        let (seed, signature) = try Self.secrets(of: foreign)
        #expect(!refused.output.contains(seed) && !refused.output.contains(signature), "a secret was printed")

        let bare = Subprocess.run(tlschatd, base, timeout: 30)
        #expect(bare.status != 0, "\(bare.output)")
        #expect(bare.output.contains("the NATS server requires credentials and none were given"), "\(bare.output)")
    }

    @Test("--cluster-creds with another credential option, or a missing or malformed file (flag or config key), is refused before anything starts")
    func badOptions() throws {
        let directory = try NATSServerProcess.temporaryDirectory("creds-options")
        defer { NATSServerProcess.remove(directory) }
        let base = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0", "--history", directory + "/unused.sqlite",
                    "--cluster", "nats://127.0.0.1:1"]
        let tlschatd = RepoPaths.executable("tlschatd")
        try "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU\n".write(toFile: directory + "/seed", atomically: true, encoding: .utf8)
        let both = Subprocess.run(tlschatd, base + ["--cluster-creds", directory + "/x.creds", "--cluster-nkey-file", directory + "/seed"], timeout: 30)
        #expect(both.status != 0 && both.output.contains("give one of --cluster-password-file, --cluster-token-file, --cluster-nkey-file, --cluster-creds"),
                "\(both.output)")
        let missing = Subprocess.run(tlschatd, base + ["--cluster-creds", directory + "/x.creds"], timeout: 30)
        #expect(missing.status != 0 && missing.output.contains("cannot read the credentials file \(directory)/x.creds: No such file or directory"),
                "\(missing.output)")
        try "-----BEGIN NATS USER JWT-----\nnot-a-jwt\n------END NATS USER JWT------\n".write(toFile: directory + "/bad.creds", atomically: true, encoding: .utf8)
        let malformed = Subprocess.run(tlschatd, base + ["--cluster-creds", directory + "/bad.creds"], timeout: 30)
        #expect(malformed.status != 0 && malformed.output.contains("bad.creds: no user nkey seed block"), "\(malformed.output)")
        // In a config file the key has the flag's name and a relative path is the config file's directory's.
        try "cluster-creds = \"bad.creds\"\n".write(toFile: directory + "/tlschatd.toml", atomically: true, encoding: .utf8)
        let configured = Subprocess.run(tlschatd, base + ["--config", directory + "/tlschatd.toml"], timeout: 30)
        #expect(configured.status != 0 && configured.output.contains("\(directory)/bad.creds: no user nkey seed block"), "\(configured.output)")
    }
}
