// NATSNode: one real nats-server (2.9, the Debian package) for the cluster
// storage tests, on 127.0.0.1 with JetStream and its store and log in a
// per-test temporary directory. Alone it listens on a random client port
// (`-p -1`, read back from its log); in a NATSTestCluster it also has a route
// port and routes to the other nodes. Stopped or killed by PID only. It
// starts and stops the process; the tests drive the clients.
import Foundation

final class NATSNode {
    let name: String
    let process = Process()
    let logPath: String
    private(set) var port = 0

    /// Starts nats-server with JetStream; throws if it is missing or not ready within 20 s.
    init(name: String, directory: String, port: Int = -1, clusterArguments: [String] = []) throws {
        guard let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw NATSNodeError("nats-server is not installed (Scripts/test installs it: apt-get install nats-server)")
        }
        self.name = name
        logPath = directory + "/\(name).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)  // a restart starts a fresh log
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", directory + "/\(name)-store", "-n", name]
            + clusterArguments
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let marker = "Listening for client connections on 127.0.0.1:"
        guard Self.waitUntil(timeout: 20, { self.log.contains("Server is ready") || !process.isRunning }),
              let range = self.log.range(of: marker), let listening = Int(self.log[range.upperBound...].prefix { $0.isNumber }) else {
            kill()
            throw NATSNodeError("nats-server \(name) did not start: \(self.log.suffix(2000))")
        }
        self.port = listening
    }

    var url: String { "nats://127.0.0.1:\(port)" }
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }

    /// SIGKILL by PID, as if the machine died.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM by PID, SIGKILL after 10 s.
    func stop() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGTERM)
        if !Self.waitUntil(timeout: 10, { !process.isRunning }) { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { kill() }

    /// Polls `condition` every 5 ms until it holds or `timeout` seconds pass.
    @discardableResult
    static func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }
}

struct NATSNodeError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
