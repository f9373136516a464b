// BenchToolTests: tlschat-bench's scenarios, small and short, against the
// real tlschatd on 127.0.0.1 port 0: the fan-out verifies that every message
// reached every other client once and in order, and reports a server's rate
// limit as such (with the tlschatd flags that lift it), not as loss; the idle
// scenario holds its connections and reads the server's memory; the
// handshake scenario completes handshakes with and without a client
// certificate; and the in-memory handshake floor (no server) must fail, not
// report a figure, when the client cannot verify the server. These check
// that the tool works; its figures are not benchmarks (Scripts/bench
// measures, pinned to cores, beside peer servers).
import Foundation
import Testing

@Suite("tlschat-bench", .serialized)
struct BenchToolTests {
    let pki = TestPKI.shared
    let bench = RepoPaths.executable("tlschat-bench")

    func run(_ server: ServerProcess, _ arguments: [String]) throws -> [String: Any] {
        let common = ["--port", "\(server.port)", "--ca", pki.cert("ca"), "--server-name", "localhost",
                      "--server-pid", "\(server.child.pid)", "--json"]
        let result = Subprocess.run(bench, arguments + common, timeout: 60)
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw TestFailure("no JSON from tlschat-bench: \(result.output)")
        }
        #expect(result.status == 0, "\(result.output)")
        return object
    }

    func lenientServer() throws -> ServerProcess {
        try ServerProcess(["--command-burst", "100000", "--commands-per-second", "100000", "--max-clients-per-address", "1000"])
    }

    @Test("fanout: 20 clients, 4 senders with a window of 8: every message delivered once, in order")
    func fanout() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let report = try run(server, ["fanout", "--clients", "20", "--senders", "4", "--window", "8",
                                      "--duration", "1", "--warmup", "0.2"])
        #expect(report["verified"] as? Bool == true, "\(report)")
        #expect((report["deliveries"] as? Int ?? 0) > 19 * 4, "\(report)")
        #expect(report["lost"] as? Int == 0 && report["duplicated"] as? Int == 0 && report["reordered"] as? Int == 0)
        #expect(report["server_cpu_seconds"] is Double, "\(report)")
        let latency = report["latency_us"] as? [String: Any]
        #expect((latency?["p99"] as? Int ?? 0) > 0, "\(report)")
    }

    @Test("fanout at a fixed rate delivers everything offered")
    func fanoutAtRate() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let report = try run(server, ["fanout", "--clients", "10", "--senders", "2", "--rate", "200",
                                      "--duration", "1", "--warmup", "0"])
        #expect(report["verified"] as? Bool == true, "\(report)")
        let messages = report["messages"] as? Int ?? 0
        #expect(messages >= 150 && messages <= 250, "about 200 messages in 1 s: \(report)")
    }

    @Test("idle: 200 TLS connections held; the server's RSS is read before and after")
    func idle() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let report = try run(server, ["idle", "--connections", "200", "--connect-rate", "1000", "--hold", "0.2"])
        #expect(report["connections_held"] as? Int == 200, "\(report)")
        #expect((report["server_rss_kib_after"] as? Int ?? 0) > (report["server_rss_kib_before"] as? Int ?? .max), "\(report)")
    }

    @Test("handshake: full handshakes with and without a client certificate", arguments: [false, true])
    func handshakes(_ withCertificate: Bool) throws {
        let server = try lenientServer()
        defer { server.stop() }
        let certificate = withCertificate ? ["--cert", pki.cert("alice"), "--key", pki.key("alice")] : []
        let report = try run(server, ["handshake", "--concurrency", "4", "--duration", "0.5"] + certificate)
        #expect((report["handshakes"] as? Int ?? 0) > 10, "\(report)")
        #expect(report["failed"] as? Int == 0, "\(report)")
        #expect(report["client_certificate"] as? Bool == withCertificate)
    }

    @Test("handshake-floor: in-memory handshakes with tlschatd's settings, with and without a client certificate",
          arguments: [false, true])
    func handshakeFloor(_ withCertificate: Bool) throws {
        let files = ["--server-cert", pki.cert("server"), "--server-key", pki.key("server"), "--ca", pki.cert("ca")]
        let certificate = withCertificate ? ["--cert", pki.cert("alice"), "--key", pki.key("alice")] : []
        let result = Subprocess.run(bench, ["handshake-floor", "--handshakes", "20", "--json"] + files + certificate, timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect((report?["handshakes_per_server_cpu_second"] as? Double ?? 0) > 0, "\(result.output)")
        #expect(report?["client_certificate"] as? Bool == withCertificate)
        // A client that expects another name must fail the handshake, not measure it.
        let wrongName = Subprocess.run(bench, ["handshake-floor", "--handshakes", "2", "--server-name", "wrong.example"] + files,
                                       timeout: 60)
        #expect(wrongName.status != 0, "\(wrongName.output)")
    }

    @Test("fanout against a server's rate limit: refusals counted as rate_limited, not lost; the tlschatd flags are named; exit 3")
    func rateLimitIsNotLoss() throws {
        let server = try ServerProcess(["--command-burst", "5", "--commands-per-second", "1"])
        defer { server.stop() }
        let arguments = ["fanout", "--clients", "4", "--senders", "2", "--window", "8", "--duration", "2", "--warmup", "0",
                         "--drain", "10", "--port", "\(server.port)", "--ca", pki.cert("ca"), "--server-name", "localhost", "--json"]
        let result = Subprocess.run(bench, arguments, timeout: 60)
        #expect(result.status == 3, "\(result.output)")
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect((report?["rate_limited"] as? Int ?? 0) > 0, "\(result.output)")
        #expect(report?["lost"] as? Int == 0, "refused messages are not lost: \(result.output)")
        #expect(report?["verified"] as? Bool == false)
        #expect(result.output.contains("ERR RATE_LIMITED"), "\(result.output)")
        #expect(result.output.contains("--command-burst") && result.output.contains("--commands-per-second"), "\(result.output)")
    }

    @Test("only loopback targets are accepted")
    func loopbackOnly() {
        let result = Subprocess.run(bench, ["idle", "--host", "192.0.2.1", "--connections", "1"], timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains("only targets loopback"), "\(result.output)")
    }
}
