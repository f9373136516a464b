// ReusePortTests: tlschatd --reuse-port (issue 15 item 5): two server
// processes listen on one loopback port and the kernel spreads new
// connections over both; without the flag the second one cannot bind and
// says so. Peers are Python's ssl module; processes are stopped by PID.
import Foundation
import Testing

@Suite("several tlschatd processes on one port (--reuse-port)", .serialized)
struct ReusePortTests {
    let pki = TestPKI.shared

    /// Opens `count` TLS connections to `port`, each reading the greeting, then closes them.
    func greetings(_ port: Int, count: Int) -> Subprocess.Result {
        let script = """
            import socket, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[1])
            for _ in range(int(sys.argv[3])):
                with ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10), server_hostname="localhost") as s:
                    print(s.makefile().readline().strip())
            """
        return Subprocess.run("python3", ["-c", script, pki.cert("ca"), String(port), String(count)], timeout: 60)
    }

    func accepted(_ server: ServerProcess) -> Int {
        server.log.split(separator: "\n").filter { $0.contains("[ChatServerKit] connected") }.count
    }

    @Test("two processes share the port and both serve connections")
    func twoProcessesShareThePort() throws {
        let first = try ServerProcess(["--reuse-port"])
        defer { first.stop() }
        let second = try ServerProcess(["--reuse-port"], listenPort: first.port)
        defer { second.stop() }
        #expect(second.port == first.port)
        let result = greetings(first.port, count: 40)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.components(separatedBy: "HELLO chat/1 tlschatd tls").count - 1 == 40)
        #expect(ChildProcess.waitUntil(timeout: 10) { accepted(first) + accepted(second) >= 40 },
                "first: \(accepted(first)), second: \(accepted(second))")
        #expect(accepted(first) > 0 && accepted(second) > 0, "the kernel spread 40 connections: \(accepted(first)) and \(accepted(second))")
    }

    @Test("without --reuse-port a second process cannot listen on the same port")
    func withoutTheFlagTheSecondFails() throws {
        let first = try ServerProcess(["--reuse-port"])
        defer { first.stop() }
        #expect(throws: (any Error).self) { _ = try ServerProcess([], listenPort: first.port) }
    }
}
