// NATSClusterProcesses: three real nats-server processes routed into one
// NATS cluster with JetStream on (the shape Scripts/cluster runs), on
// 127.0.0.1 with client and route ports picked free, each with its store in
// the test's temporary directory so a server can be killed and restarted on
// the same port and store. Ready once a JetStream metadata leader is elected.
// Stopped by PID. It starts processes only; the tests drive tlschatd.
import Foundation

final class NATSClusterProcesses {
    let directory: String
    private let routePorts: [Int]
    private(set) var clientPorts: [Int]
    private(set) var servers: [NATSServerProcess?]

    init() throws {
        directory = try NATSServerProcess.temporaryDirectory("cluster")
        routePorts = try (0..<3).map { _ in try Self.freePort() }
        clientPorts = try (0..<3).map { _ in try Self.freePort() }
        servers = [nil, nil, nil]
        for index in 0..<3 { try start(index) }
        try waitForLeader()
    }

    /// --cluster flags for tlschatd: every server as a seed.
    var seedArguments: [String] { clientPorts.flatMap { ["--cluster", "nats://127.0.0.1:\($0)"] } }

    /// (Re)starts server `index` on its port and store.
    func start(_ index: Int) throws {
        let routes = routePorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        servers[index] = try NATSServerProcess(
            port: clientPorts[index], storeDirectory: directory + "/store-\(index)",
            extraArguments: ["-n", "nats-\(index)", "--cluster_name", "tlschat-test",
                             "--cluster", "nats://127.0.0.1:\(routePorts[index])", "--routes", routes])
    }

    func kill(_ index: Int) {
        servers[index]?.kill()
        servers[index] = nil
    }

    func waitForLeader(timeout: TimeInterval = 30) throws {
        let ready = ChildProcess.waitUntil(timeout: timeout) {
            servers.compactMap { $0 }.contains { $0.log.contains("metadata leader") }
        }
        if !ready { throw NATSServerProcessError("no JetStream metadata leader: \(servers.compactMap { $0?.log.suffix(600) })") }
    }

    func stopAll() {
        for index in 0..<3 { servers[index]?.stop(); servers[index] = nil }
    }

    deinit {
        for server in servers { server?.kill() }
        NATSServerProcess.remove(directory)
    }

    static func freePort() throws -> Int {
        let probe = Subprocess.run("python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let port = Int(probe.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw NATSServerProcessError("no free port: \(probe.output)")
        }
        return port
    }
}
