// HistoryDurabilityTests: the real tlschatd keeps its history promises under
// faults (PROTOCOL.md section 11, README "History"). Crash: Python clients
// (Tests/Fixtures/history_crash.py) flood SAY while the server is killed with
// SIGKILL at a random moment, then restarted on the same database; every
// acknowledged message must be stored exactly once, in order, and new ids
// must be above every old one. Disk full: a file size limit (prlimit
// --fsize) fills the "disk" at run time; the chat goes on, the sender is told
// `unstored`, one error line is logged, and storing resumes once the limit is
// raised (Tests/Fixtures/history_client.py disk_full). Start-up faults and the
// protocol itself are in HistoryProtocolTests.
import Foundation
import Testing

@Suite("history durability (tlschatd)", .serialized)
struct HistoryDurabilityTests {
    let pki = TestPKI.shared
    static let crashClient = RepoPaths.root + "/Tests/Fixtures/history_crash.py"
    static let protocolClient = RepoPaths.root + "/Tests/Fixtures/history_client.py"

    @Test("kill -9 at a random moment, 5 times: every acknowledged message is stored once, in order; ids keep increasing")
    func killNineWhileFlooding() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["TLSCHAT_CRASH_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        var random = SplitMix64(seed: seed)
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["--history", directory + "/history.sqlite", "--history-sync", "normal",
                         "--command-burst", "1000000", "--commands-per-second", "1000000", "--max-queue", "67108864"]
        var server = try ServerProcess(arguments)
        var report: [String] = []
        for round in 1...5 {
            let delay = 0.2 + 1.3 * Double(random.next() % 10_000) / 10_000
            let context = "TLSCHAT_CRASH_SEED=\(seed), round \(round), SIGKILL \(String(format: "%.3f", delay)) s after traffic started"
            let room = "#crash\(round)", acknowledged = directory + "/acknowledged-\(round)"
            let flood = try ChildProcess("python3", [Self.crashClient, "flood", String(server.port), pki.directory, room, "3", acknowledged])
            defer { flood.stop(signal: SIGKILL) }
            guard flood.waitForOutput("FLOODING", timeout: 20) else {
                Issue.record("\(context): the clients did not start: \(flood.stdout.text) \(flood.stderr.text) \(server.log.suffix(2000))")
                break
            }
            // The crash moment itself is the test's random input (not a wait for a condition).
            usleep(UInt32(delay * 1_000_000))
            server.child.stop(signal: SIGKILL, timeout: 10)
            #expect(server.child.process.terminationReason == .uncaughtSignal, "\(context): the server was not killed")
            let floodStatus = flood.waitForExit(timeout: 30)
            #expect(floodStatus == 0, "\(context): flooding clients: \(flood.stdout.text) \(flood.stderr.text)")
            server = try ServerProcess(arguments, listenPort: server.port)
            let verify = Subprocess.run("python3", [Self.crashClient, "verify", String(server.port), pki.directory, room, acknowledged],
                                        timeout: 60)
            #expect(verify.status == 0 && verify.output.contains("PASSED verify"),
                    "\(context): \(verify.output)\n--- server log (tail) ---\n\(server.log.suffix(2000))")
            report.append("round \(round) (\(String(format: "%.2f", delay)) s): "
                + flood.stdout.text.split(separator: "\n").filter { $0.hasPrefix("sent") }.joined()
                + "; " + verify.output.split(separator: "\n").filter { $0.hasPrefix("stored") }.joined())
        }
        server.stop()
        print("crash test, TLSCHAT_CRASH_SEED=\(seed):\n" + report.joined(separator: "\n"))
    }

    @Test("disk full at run time (file size limit): live delivery goes on, 'unstored', one log line, storing resumes")
    func diskFullAtRunTime() throws {
        // Soft limit only, so the test may raise it again on the running server (prlimit --pid).
        // 256 KiB lets the database be created and a few messages be stored in the WAL.
        // SIGXFSZ back to its default (the test runner ignores it, and children inherit that):
        // tlschatd itself must ignore it, or the kernel kills it at the limit.
        // Burst raised: a commit writes two pages, so filling 256 KiB takes more SAYs than the default burst.
        let server = try ServerProcess(["--command-burst", "100000"], launcher: ["/usr/bin/env", "--default-signal=XFSZ",
                                                      "prlimit", "--fsize=262144:unlimited", "--"])
        defer { server.stop() }
        let result = Subprocess.run("python3", [Self.protocolClient, "disk_full", String(server.port), pki.directory,
                                                String(server.child.pid)], timeout: 60)
        #expect(result.status == 0 && result.output.contains("PASSED disk_full"),
                "\(result.output)\n--- server log (tail) ---\n\(server.log.suffix(3000))")
        #expect(server.child.isRunning, "tlschatd died under the file size limit: \(server.log.suffix(2000))")
        let failureLines = server.log.split(separator: "\n").filter { $0.contains("history: not stored") }
        #expect(failureLines.count == 1, "one error line for the burst, got: \(failureLines)")
        #expect(failureLines.first?.contains("File too large") == true, "\(failureLines)")
        #expect(server.log.contains("history: storing again"), "\(server.log.suffix(2000))")
    }

    static func temporaryDirectory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-history-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }
}

/// A small seeded generator (SplitMix64), so a failing crash round can be replayed with its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
