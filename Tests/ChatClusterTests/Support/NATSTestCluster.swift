// NATSTestCluster: nats-server for one test: a single JetStream server, or
// three servers in one cluster (routes on loopback ports picked free just
// before, JetStream on each) that are ready once each has seen a JetStream
// metadata leader. Everything lives in a temporary directory removed at the
// end; every server is stopped by PID. `finish()` ends them all.
import Foundation
import Glibc

final class NATSTestCluster {
    let directory: String
    private(set) var nodes: [NATSNode] = []

    var urls: [String] { nodes.filter(\.isRunning).map(\.url) }

    /// One server with JetStream.
    /// `configuration`: the text of a server configuration file to start it with (e.g. users and permissions).
    static func single(configuration: String? = nil) throws -> NATSTestCluster {
        let cluster = try NATSTestCluster()
        var arguments: [String] = []
        if let configuration {
            let path = cluster.directory + "/server.conf"
            try configuration.write(toFile: path, atomically: true, encoding: .utf8)
            arguments = ["-c", path]
        }
        cluster.nodes = [try NATSNode(name: "solo", directory: cluster.directory, clusterArguments: arguments)]
        return cluster
    }

    /// Three routed servers with JetStream clustering, ready for R3 streams.
    static func three() throws -> NATSTestCluster {
        let cluster = try NATSTestCluster()
        let routePorts = try (0..<3).map { _ in try freePort() }
        let routes = routePorts.map { "nats://127.0.0.1:\($0)" }.joined(separator: ",")
        for (index, port) in routePorts.enumerated() {
            cluster.nodes.append(try NATSNode(name: "n\(index + 1)", directory: cluster.directory, clusterArguments: [
                "--cluster_name", "tlschat-test", "--cluster", "nats://127.0.0.1:\(port)", "--routes", routes,
            ]))
        }
        let ready = NATSNode.waitUntil(timeout: 20) {
            cluster.nodes.allSatisfy { $0.log.contains("JetStream cluster new metadata leader") || $0.log.contains("Self is new JetStream cluster metadata leader") }
        }
        guard ready else { throw NATSNodeError("no JetStream metadata leader within 20 s: \(cluster.nodes.map { $0.log.suffix(800) })") }
        return cluster
    }

    private init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chatcluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Kills node `index` (SIGKILL) and starts it again on the same port with the same store.
    func restart(_ index: Int) throws {
        let old = nodes[index]
        old.kill()
        nodes[index] = try NATSNode(name: old.name, directory: directory, port: old.port)
    }

    func finish() {
        for node in nodes { node.stop() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A loopback TCP port that was free a moment ago (bound to port 0, read, closed).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw NATSNodeError("socket: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw NATSNodeError("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
