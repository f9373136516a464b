// NATSServerProcess: a real nats-server (the Debian package) for the NATS
// client tests: on 127.0.0.1, on a random free port (`-p -1`, read back from
// its log) or a given one (to restart on the same port), JetStream on with a
// store in the test's temporary directory, optional user/password and TLS.
// Stopped by PID (SIGKILL for "the server died"). It only starts and stops
// the process; the tests drive the client.
import Foundation

final class NATSServerProcess {
    let child: ChildProcess
    let port: Int
    let arguments: [String]
    /// The store directory this object made (and removes when it goes away), if the caller gave none.
    private let ownDirectory: String?

    /// Starts nats-server; throws if it is not installed or does not listen within 20 s.
    /// Without `storeDirectory`, JetStream's store goes to a temporary directory removed with this object.
    init(port: Int = -1, storeDirectory: String? = nil, extraArguments: [String] = []) throws {
        ownDirectory = storeDirectory == nil ? try Self.temporaryDirectory("store") : nil
        guard let storeDirectory = storeDirectory ?? ownDirectory else { throw NATSServerProcessError("no store directory") }
        guard let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw NATSServerProcessError("nats-server is not installed (Scripts/test installs it: apt-get install nats-server)")
        }
        arguments = ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDirectory] + extraArguments
        let started = try ChildProcess(binary, arguments)
        child = started
        let marker = "Listening for client connections on 127.0.0.1:"
        guard ChildProcess.waitUntil(timeout: 20, { started.stderr.text.contains("Server is ready") || !started.isRunning }),
              let range = started.stderr.text.range(of: marker) else {
            started.stop(signal: SIGKILL)
            throw NATSServerProcessError("nats-server did not start: \(started.stderr.text.suffix(2000))")
        }
        let digits = started.stderr.text[range.upperBound...].prefix { $0.isNumber }
        guard let listening = Int(digits) else {
            started.stop(signal: SIGKILL)
            throw NATSServerProcessError("no port in nats-server's log")
        }
        self.port = listening
    }

    var url: String { "nats://127.0.0.1:\(port)" }
    var pid: Int32 { child.pid }
    var log: String { child.stderr.text }

    /// Kills the server at once (SIGKILL by PID), as if its machine died.
    func kill() { child.stop(signal: SIGKILL) }

    /// Stops the server (SIGTERM by PID, SIGKILL after 10 s).
    func stop() { child.stop() }

    /// A fresh temporary directory for one test (JetStream store, configuration files); the
    /// caller removes it (`defer { NATSServerProcess.remove(directory) }`).
    static func temporaryDirectory(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nats-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        if child.isRunning { child.stop(signal: SIGKILL) }
        if let ownDirectory { try? FileManager.default.removeItem(atPath: ownDirectory) }
    }
}

struct NATSServerProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
