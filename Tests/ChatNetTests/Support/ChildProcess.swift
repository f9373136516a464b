// ChildProcess: a long-running helper process (our server, openssl s_client)
// driven by a test: write to its stdin, wait with a deadline until its output
// contains something, stop it by PID. No fixed sleeps: every wait polls a
// condition until a deadline.
import Foundation

final class ChildProcess {
    let process = Process()
    let stdout: OutputCollector
    let stderr: OutputCollector
    private let stdin = Pipe()

    /// `environment`: variables to set or override for the child (the rest is inherited).
    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        stdout = OutputCollector(out.fileHandleForReading)
        stderr = OutputCollector(err.fileHandleForReading)
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func send(_ text: String) {
        stdin.fileHandleForWriting.write(Data(text.utf8))
    }

    func closeInput() { try? stdin.fileHandleForWriting.close() }

    /// Polls until `condition` holds or `timeout` seconds pass.
    @discardableResult
    static func waitUntil(timeout: TimeInterval, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Waits until stdout contains `text`.
    @discardableResult
    func waitForOutput(_ text: String, timeout: TimeInterval = 20) -> Bool {
        Self.waitUntil(timeout: timeout) { stdout.text.contains(text) }
    }

    /// Waits for the process to exit on its own; returns its status, or nil on timeout.
    func waitForExit(timeout: TimeInterval = 20) -> Int32? {
        guard Self.waitUntil(timeout: timeout, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends `signal`, waits up to `timeout` seconds, then SIGKILL. Returns the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: TimeInterval = 10) -> Int32 {
        if process.isRunning {
            kill(pid, signal)
            if !Self.waitUntil(timeout: timeout, { !process.isRunning }) { kill(pid, SIGKILL) }
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { kill(pid, SIGKILL) } }
}
