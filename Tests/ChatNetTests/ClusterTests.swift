// ClusterTests: real tlschatd nodes joined through a real three-server NATS
// cluster with JetStream (NATSClusterProcesses), driven by Python clients
// written from PROTOCOL.md (Tests/Fixtures/cluster_client.py and
// history_crash.py): chat across nodes in one order, private messages,
// unique names and WHO (section 15); kill -9 of a node under load (its users
// leave everywhere within 10 s, nothing acknowledged is missing); kill -9 of
// one NATS server under load (the floods paced at 1,000 messages a second a
// client, so what verify reads back stays a few dozen pages); all of NATS
// stopped (local chat goes on, the cluster comes back by itself). Loopback
// only, every wait has a deadline,
// every process is stopped by PID.
import Foundation
import Testing

@Suite("cluster of tlschatd nodes over NATS", .serialized)
struct ClusterTests {
    let pki = TestPKI.shared
    static let clusterClient = RepoPaths.root + "/Tests/Fixtures/cluster_client.py"
    static let crashClient = RepoPaths.root + "/Tests/Fixtures/history_crash.py"

    private func startNodes(_ nats: NATSClusterProcesses, _ count: Int = 3) throws -> [ServerProcess] {
        try (0..<count).map { _ in
            try ServerProcess(nats.seedArguments + ["--cluster-replicas", "3", "--cluster-dead-after", "4",
                                                    "--command-burst", "100000", "--commands-per-second", "100000"])
        }
    }

    private func logs(_ servers: [ServerProcess]) -> String {
        servers.enumerated().map { "--- node \($0.offset + 1) ---\n\($0.element.log.suffix(1500))" }.joined(separator: "\n")
    }

    @Test("three nodes: one room and private chat across nodes, one order for all, unique names, WHO lists everyone")
    func chatAcrossNodes() throws {
        let nats = try NATSClusterProcesses()
        let servers = try startNodes(nats)
        defer { servers.forEach { _ = $0.stop() }; nats.stopAll() }
        let run = Subprocess.run("python3", [Self.clusterClient, "chat", pki.directory] + servers.map { String($0.port) }, timeout: 120)
        #expect(run.status == 0 && run.output.contains("PASSED chat"), "\(run.output)\n\(logs(servers))")
    }

    @Test("kill -9 one node under load: its users leave on the other nodes within 10 s; nothing acknowledged is missing")
    func killNodeUnderLoad() throws {
        let nats = try NATSClusterProcesses()
        var servers = try startNodes(nats)
        defer { servers.forEach { _ = $0.stop() }; nats.stopAll() }
        let directory = try NATSServerProcess.temporaryDirectory("acks")
        defer { NATSServerProcess.remove(directory) }
        let room = "#kill"
        let bob = try ChildProcess("python3", [Self.clusterClient, "member", pki.directory, String(servers[2].port), "bob", room])
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("MEMBER", timeout: 20), "\(bob.stderr.text)")
        let watchers = try servers.prefix(2).map {
            try ChildProcess("python3", [Self.clusterClient, "watch", pki.directory, String($0.port), room, "40"])
        }
        defer { watchers.forEach { $0.stop(signal: SIGKILL) } }
        for watcher in watchers { #expect(watcher.waitForOutput("WATCHING", timeout: 20), "\(watcher.stderr.text)") }
        let floods = try servers.prefix(2).enumerated().map { index, server in
            try ChildProcess("python3", [Self.crashClient, "flood", String(server.port), pki.directory, room, "2",
                                         directory + "/acks-\(index)", "6"], environment: ["FLOOD_TAG": index == 0 ? "a" : "b", "FLOOD_RATE": "1000"])
        }
        for flood in floods { #expect(flood.waitForOutput("FLOODING", timeout: 20), "\(flood.stderr.text)") }
        let killedAt = Date()
        servers[2].child.stop(signal: SIGKILL, timeout: 10)
        let parted = "PARTED \(room) bob cert quit"
        for (index, watcher) in watchers.enumerated() {
            #expect(watcher.waitForOutput(parted, timeout: 12), "node \(index + 1) never said bob left: \(watcher.stdout.text)")
        }
        let seen = Date().timeIntervalSince(killedAt)
        #expect(seen < 10, "bob was seen leaving after \(seen) s")
        for flood in floods {
            #expect(flood.waitForExit(timeout: 60) == 0, "\(flood.stdout.text) \(flood.stderr.text)")
        }
        servers.removeLast()
        let acknowledged = directory + "/all"
        let all = (0..<2).compactMap { try? String(contentsOfFile: directory + "/acks-\($0)", encoding: .utf8) }.joined()
        try all.write(toFile: acknowledged, atomically: true, encoding: .utf8)
        let verify = Subprocess.run("python3", [Self.crashClient, "verify", String(servers[1].port), pki.directory, room, acknowledged],
                                    timeout: 90)
        #expect(verify.status == 0 && verify.output.contains("PASSED verify"), "\(verify.output)\n\(logs(servers))")
        print("node killed: bob seen leaving after \(String(format: "%.2f", seen)) s; "
              + floods.map { $0.stdout.text.split(separator: "\n").filter { $0.hasPrefix("sent") }.joined() }.joined(separator: "; "))
    }

    @Test("kill -9 one NATS server of three under load: chat goes on after the reconnect, nothing acknowledged is lost")
    func killNATSServerUnderLoad() throws {
        let nats = try NATSClusterProcesses()
        let servers = try startNodes(nats)
        defer { servers.forEach { _ = $0.stop() }; nats.stopAll() }
        let directory = try NATSServerProcess.temporaryDirectory("acks")
        defer { NATSServerProcess.remove(directory) }
        let room = "#natskill"
        // Messages answered `unstored` while the node fails over are allowed (not acknowledged as stored).
        let flood = try ChildProcess("python3", [Self.crashClient, "flood", String(servers[0].port), pki.directory, room, "2",
                                                 directory + "/acks", "5"], environment: ["FLOOD_ALLOW_UNSTORED": "1", "FLOOD_RATE": "1000"])
        #expect(flood.waitForOutput("FLOODING", timeout: 20), "\(flood.stderr.text)")
        nats.kill(0)
        #expect(flood.waitForExit(timeout: 60) == 0, "\(flood.stdout.text) \(flood.stderr.text)\n\(logs(servers))")
        print("NATS server killed under load: " + flood.stdout.text.split(separator: "\n").filter { $0.hasPrefix("sent") }.joined())
        let verify = Subprocess.run("python3", [Self.crashClient, "verify", String(servers[1].port), pki.directory, room,
                                                directory + "/acks"], timeout: 90)
        #expect(verify.status == 0 && verify.output.contains("PASSED verify"), "\(verify.output)\n\(logs(servers))")
        // JetStream may still be moving stream and consumer leaders off the dead server: each wait
        // of the chat may take longer than in a healthy cluster (sanitizer builds are slow too).
        let run = Subprocess.run("env", ["CLUSTER_CLIENT_TIMEOUT=45", "python3", Self.clusterClient, "chat", pki.directory]
                                    + servers.map { String($0.port) }, timeout: 240)
        #expect(run.status == 0 && run.output.contains("PASSED chat"), "after the kill: \(run.output)\n\(logs(servers))")
    }

    @Test("all of NATS stopped: each node chats locally and says so; the cluster comes back by itself")
    func allNATSStopped() throws {
        let nats = try NATSClusterProcesses()
        let servers = try startNodes(nats)
        defer { servers.forEach { _ = $0.stop() }; nats.stopAll() }
        nats.stopAll()
        let lost = ChildProcess.waitUntil(timeout: 15) { servers.allSatisfy { $0.log.contains("lost NATS") } }
        #expect(lost, "every node logs that it lost NATS: \(logs(servers))")
        let local = Subprocess.run("python3", [Self.clusterClient, "local", pki.directory, String(servers[0].port), "#alone"], timeout: 60)
        #expect(local.status == 0 && local.output.contains("PASSED local") && local.output.contains("OK SAY #alone sent 1/1"), "\(local.output)")
        for index in 0..<3 { try nats.start(index) }
        try nats.waitForLeader()
        let back = ChildProcess.waitUntil(timeout: 30) { servers.allSatisfy { $0.log.contains("NATS is back") } }
        #expect(back, "every node rejoins: \(logs(servers))")
        let deadline = Date().addingTimeInterval(40)
        var run = Subprocess.Result(status: -1, output: "")
        repeat {  // JetStream may need a few seconds after the servers are back before it stores again
            run = Subprocess.run("python3", [Self.clusterClient, "chat", pki.directory] + servers.map { String($0.port) }, timeout: 120)
        } while run.status != 0 && Date() < deadline
        #expect(run.status == 0 && run.output.contains("PASSED chat"), "after NATS came back: \(run.output)\n\(logs(servers))")
    }
}
