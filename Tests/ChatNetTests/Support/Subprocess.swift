// Subprocess: runs a helper program (openssl, python3, our scripts) with a
// deadline and collects its output, for tests. Long-running servers use
// `ServerProcess` instead.
import Foundation

enum Subprocess {
    struct Result {
        var status: Int32
        var output: String  // stdout and stderr together
    }

    /// Runs `executable` with `arguments`, feeding `input` to stdin. Kills it (by PID) after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], input: String = "", timeout: TimeInterval = 30) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let outputPipe = Pipe()
        let inputPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = outputPipe
        process.standardInput = inputPipe
        do { try process.run() } catch { return Result(status: -1, output: "cannot start \(executable): \(error)") }
        inputPipe.fileHandleForWriting.write(Data(input.utf8))
        try? inputPipe.fileHandleForWriting.close()
        let collected = OutputCollector(outputPipe.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return Result(status: -2, output: collected.finish() + "\n[killed after \(timeout)s]")
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: collected.finish())
    }
}

/// Drains a pipe on a background thread so a chatty child never blocks on a full pipe.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    /// Everything read so far.
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits for end of stream (bounded) and returns everything.
    func finish() -> String {
        _ = done.wait(timeout: .now() + 5)
        return text
    }
}
