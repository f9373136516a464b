// ServerProcess: starts the real tlschatd binary on 127.0.0.1 port 0 for an
// integration test, waits (with a deadline) for its "listening tls HOST PORT"
// line, and stops it by PID with SIGTERM (SIGKILL if it will not stop).
import Foundation

final class ServerProcess {
    let process = Process()
    let port: Int
    private let stdout: OutputCollector
    let stderr: OutputCollector

    /// Starts tlschatd with the test PKI's server certificate plus `arguments`.
    init(_ arguments: [String] = [], clientCA: Bool = true) throws {
        let pki = TestPKI.shared
        var all = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0"]
        if clientCA { all += ["--client-ca", pki.cert("ca")] }
        process.executableURL = URL(fileURLWithPath: RepoPaths.executable("tlschatd"))
        process.arguments = all + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        stdout = OutputCollector(out.fileHandleForReading)
        stderr = OutputCollector(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            found = stdout.text.split(separator: "\n").lazy
                .compactMap { line -> Int? in
                    let words = line.split(separator: " ")
                    return words.count == 4 && words[0] == "listening" && words[1] == "tls" ? Int(words[3]) : nil
                }.first
            if found == nil { usleep(10_000) }
        }
        guard let found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw TestFailure("tlschatd did not announce its port: \(stdout.text) \(stderr.text)")
        }
        port = found
    }

    /// SIGTERM, then wait up to `timeout` seconds; SIGKILL if still running. Returns the exit status.
    @discardableResult
    func stop(timeout: TimeInterval = 10) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
