// ConnectionLeakTests: finished connections must give back everything they
// held. In-process, a ChatService serves thousands of sessions opened and ended
// every way a client can (BYE, close, reset, over TLS and plaintext) by a
// Python peer, and afterwards no ClientConnection object or chat session may
// remain. Against the real tlschatd binary, the same churn must leave its
// resident memory flat (the attack from issue 11 grew it by about 1.2 KB per
// session), and under AddressSanitizer its LeakSanitizer must find nothing
// at exit. Loopback only, bounded in count and time.
import ChatNet
@testable import ChatServerKit
import Foundation
import Logging
import Testing

@Suite("connection leaks", .serialized)
struct ConnectionLeakTests {
    let pki = TestPKI.shared
    let churnScript = RepoPaths.root + "/Tests/Fixtures/churn_sessions.py"

    func quietLogger() -> Logger { Logger(label: "leak-test") { _ in SwiftLogNoOpLogHandler() } }

    @Test("2,000 finished sessions leave no connection object or session behind (in-process)")
    func noObjectsOutliveTheirConnection() throws {
        var configuration = ServerConfiguration(certificateChainFile: pki.cert("server"), privateKeyFile: pki.key("server"))
        configuration.listen = ["127.0.0.1:0"]
        configuration.plainListen = ["127.0.0.1:0"]
        configuration.clientCA = pki.cert("ca")
        configuration.maximumClientsPerAddress = 10_000
        let service = try ChatService(configuration: configuration, logger: quietLogger(), handleSignals: false)
        let tlsPort = try #require(service.boundAddresses.first { $0.transport == .tls }?.address.port)
        let plainPort = try #require(service.boundAddresses.first { $0.transport == .plain }?.address.port)
        let churn = try ChildProcess("python3", [churnScript, "127.0.0.1", "\(plainPort)", "\(tlsPort)", pki.cert("ca"), "2000"])
        defer { _ = churn.stop(signal: SIGKILL) }
        // The loop runs on this thread; the churn runs in its own process.
        let finished = try service.loop.run(for: .seconds(120)) { !churn.isRunning && service.connectionCount == 0 }
        #expect(finished, "churn still running or connections still open: \(service.connectionCount)")
        #expect(churn.stdout.text.contains("done 2000"), "churn: \(churn.stdout.text) \(churn.stderr.text)")
        // Released objects go after the loop iteration that closed them.
        _ = try service.loop.run(for: .seconds(5)) { service.liveConnectionObjects == 0 }
        #expect(service.liveConnectionObjects == 0, "connection objects still alive after every connection ended")
        #expect(service.sessionCount == 0)
        service.shutDown()
        #expect(try service.loop.run(for: .seconds(10)) { service.connectionCount == 0 })
    }

    // Not under a sanitizer: AddressSanitizer keeps freed blocks in quarantine (up to 256 MB),
    // so resident memory grows there whatever the code does; the LeakSanitizer test covers it.
    @Test("tlschatd's resident memory stays flat while 3,000 more sessions come and go",
          .enabled(if: ProcessInfo.processInfo.environment["TLSCHAT_SANITIZER"] == nil))
    func residentMemoryStaysFlat() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0", "--max-clients-per-address", "10000"])
        defer { server.stop() }
        let plainPort = try #require(server.plainPort)
        func churn(_ count: Int) throws {
            let run = Subprocess.run("python3", [churnScript, "127.0.0.1", "\(plainPort)", "\(server.port)", pki.cert("ca"), "\(count)"],
                                     timeout: 120)
            try #require(run.status == 0, "churn failed: \(run.output)")
        }
        try churn(1_000)  // warm-up: allocator pools, caches and the log reach their working size
        let before = try residentKilobytes(server.child.pid)
        try churn(3_000)
        let after = try residentKilobytes(server.child.pid)
        // A leak of about 1.2 KB per session (the bug this guards) grows it by 3.5 MB or more.
        #expect(after - before < 1_024, "VmRSS grew from \(before) kB to \(after) kB over 3,000 sessions")
    }

    @Test("LeakSanitizer finds nothing left of 500 finished sessions when tlschatd exits (AddressSanitizer runs only)",
          .enabled(if: ProcessInfo.processInfo.environment["TLSCHAT_SANITIZER"] == "address"))
    func leakSanitizerFindsNothing() throws {
        // Scripts/test turns leak detection off for the test process (the Swift runtime's
        // caches); tlschatd itself frees everything by exit, so it runs with it on. A report
        // exits 23 rather than aborting (an abort left the child unreaped by Foundation).
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0", "--max-clients-per-address", "10000"],
                                       environment: ["ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=23"])
        let plainPort = try #require(server.plainPort)
        let run = Subprocess.run("python3", [churnScript, "127.0.0.1", "\(plainPort)", "\(server.port)", pki.cert("ca"), "500"],
                                 timeout: 120)
        #expect(run.status == 0, "churn failed: \(run.output)")
        server.stop()  // records a failure on a non-zero exit or any sanitizer report in the log
        #expect(!server.log.contains("LeakSanitizer"), "\(server.log.suffix(3000))")
    }

    private func residentKilobytes(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") })
        return try #require(Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]))
    }
}
