// BenchToolTests: tlschat-bench's scenarios, small and short, against the
// real tlschatd on 127.0.0.1 port 0: the fan-out guard checks, by counters
// only, that every message reached every other client once and in order
// (deliveries_total = messages_total x recipients, nothing lost, duplicated or
// reordered), also with --workers 2 (two generator processes, each
// receiving the other's senders' messages); every report shows the generator's CPU beside the server's; the
// send floor reads back every byte it sent; Scripts/bench's table says
// "load-bound" instead of a ratio for such a run; the fan-out reports a server's rate
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

    /// The guard every benchmark figure relies on: counters only, never timing.
    func expectEveryMessageDeliveredOnce(_ report: [String: Any], clients: Int) {
        let messages = report["messages_total"] as? Int ?? -1
        #expect(messages > 0, "\(report)")
        #expect(report["deliveries_total"] as? Int == messages * (clients - 1),
                "every message sent must reach each of the other \(clients - 1) clients once: \(report)")
        #expect(report["lost"] as? Int == 0 && report["duplicated"] as? Int == 0 && report["reordered"] as? Int == 0,
                "\(report)")
        #expect(report["unknown_markers"] as? Int == 0 && report["disconnected"] as? Int == 0, "\(report)")
        #expect(report["verified"] as? Bool == true, "\(report)")
    }

    @Test("fanout guard: 20 clients, 4 senders, window 8 against tlschatd: deliveries = messages x recipients, nothing lost, duplicated or reordered")
    func fanout() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let report = try run(server, ["fanout", "--clients", "20", "--senders", "4", "--window", "8",
                                      "--duration", "1", "--warmup", "0.2"])
        expectEveryMessageDeliveredOnce(report, clients: 20)
        #expect((report["deliveries"] as? Int ?? 0) > 19 * 4, "\(report)")
        #expect(report["server_cpu_seconds"] is Double, "\(report)")
        let latency = report["latency_us"] as? [String: Any]
        #expect((latency?["p99"] as? Int ?? 0) > 0, "\(report)")
    }

    @Test("fanout guard with --workers 2 (window and rate): two generator processes, counters exact across them",
          arguments: [["--window", "8"], ["--rate", "400"]])
    func fanoutWithWorkers(_ mode: [String]) throws {
        let server = try lenientServer()
        defer { server.stop() }
        // No pinning: this machine's two cores are shared with the server (see README).
        let report = try run(server, ["fanout", "--clients", "21", "--senders", "5", "--workers", "2",
                                      "--duration", "1", "--warmup", "0.2"] + mode)
        expectEveryMessageDeliveredOnce(report, clients: 21)
        #expect(report["workers"] as? Int == 2, "\(report)")
        #expect(report["server_cpu_seconds"] is Double && report["generator_cpu_seconds"] is Double, "\(report)")
        #expect((report["generator_cores"] as? Int ?? 0) >= 1, "\(report)")
    }

    @Test("--workers and --cpus: bad values are refused with a clear error")
    func workersOptionsChecked() {
        for arguments in [["--workers", "0"], ["--workers", "5", "--clients", "4", "--senders", "1"], ["--cpus", "1,x"], ["--cpus", ""]] {
            let result = Subprocess.run(bench, ["fanout", "--port", "9"] + arguments, timeout: 20)
            #expect(result.status != 0 && result.output.contains(arguments[0]), "\(arguments): \(result.output)")
        }
    }

    @Test("every report shows the generator's CPU beside the server's, and whether it was load-bound")
    func generatorCPUIsReported() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let fanout = try run(server, ["fanout", "--clients", "10", "--senders", "2", "--window", "4",
                                      "--duration", "0.5", "--warmup", "0"])
        let handshake = try run(server, ["handshake", "--concurrency", "2", "--duration", "0.3"])
        for report in [fanout, handshake] {
            #expect((report["generator_cpu_seconds"] as? Double ?? -1) > 0, "\(report)")
            #expect(report["generator_cores"] as? Int == 1, "one event-loop thread: \(report)")
            #expect(report["generator_cpu_share"] is Double && report["server_cpu_share"] is Double, "\(report)")
            #expect(report["load_bound"] is Bool, "\(report)")
            #expect(["generator", "server", "offered load"].contains(report["bound_by"] as? String ?? ""), "\(report)")
            #expect((report["generator_per_server_cpu"] as? Double ?? -1) > 0, "\(report)")
        }
    }

    @Test("fanout guard at a fixed rate: everything offered is delivered to every other client once")
    func fanoutAtRate() throws {
        let server = try lenientServer()
        defer { server.stop() }
        let report = try run(server, ["fanout", "--clients", "10", "--senders", "2", "--rate", "200",
                                      "--duration", "1", "--warmup", "0"])
        expectEveryMessageDeliveredOnce(report, clients: 10)
        let messages = report["messages"] as? Int ?? 0
        #expect(messages >= 150 && messages <= 250, "about 200 messages in 1 s: \(report)")
    }

    @Test("send-floor: N loopback sockets, one send each per round, every byte read back; CPU per send and waits reported")
    func sendFloor() throws {
        let result = Subprocess.run(bench, ["send-floor", "--connections", "20", "--rounds", "3", "--gap-ms", "0", "--json"],
                                    timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        let line = result.output.split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
        let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(report?["verified"] as? Bool == true, "\(result.output)")
        #expect(report?["received_bytes"] as? Int == 4 * 20 * 100, "a warm-up and 3 rounds of 20 x 100 bytes: \(result.output)")
        #expect(report?["rounds"] as? Int == 3)
        for key in ["round_ms", "cpu_us_per_send", "median_recipient_wait_ms", "last_recipient_wait_ms"] {
            #expect((report?[key] as? [String: Any])?["p50"] is Double, "\(key): \(result.output)")
        }
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

    @Test("Scripts/bench's table: a run whose generator was above 90% of its core says load-bound, not a ratio")
    func benchTableSaysLoadBound() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func result(_ name: String, perSecond: Int, generatorShare: Double) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try #"{"deliveries_per_second": \#(perSecond), "deliveries_per_server_cpu_second": \#(perSecond * 2), "#
                .appending(#""latency_us": {"p99": 900}, "server_cpu_share": 0.5, "generator_cpu_share": \#(generatorShare), "#)
                .appending(#""load_bound": \#(generatorShare > 0.9)}"#).write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let manifest = [
            "tlschatd\tfanout100\tok\t\t\(try result("a.json", perSecond: 5_000_000, generatorShare: 0.97))\tcmd",
            "ncat\tfanout100\tok\t\t\(try result("b.json", perSecond: 400_000, generatorShare: 0.2))\tcmd",
            "tlschatd\tfanout1000\tok\t\t\(try result("c.json", perSecond: 20_000, generatorShare: 0.3))\tcmd",
            "ncat\tfanout1000\tok\t\t\(try result("d.json", perSecond: 10_000, generatorShare: 0.3))\tcmd",
        ].joined(separator: "\n") + "\n"
        let paths = ["manifest.tsv", "out.json", "meta.json"].map { directory.appendingPathComponent($0).path }
        try manifest.write(toFile: paths[0], atomically: true, encoding: .utf8)
        try #"{"servers": {}, "floors": {}}"#.write(toFile: paths[2], atomically: true, encoding: .utf8)
        let report = Subprocess.run("/usr/bin/env", ["python3", RepoPaths.root + "/Scripts/lib/bench-report.py"] + paths, timeout: 30)
        #expect(report.status == 0, "\(report.output)")
        let lines = report.output.split(separator: "\n").map(String.init)
        let fanout100 = lines.first { $0.hasPrefix("fanout100 deliveries/s ") } ?? ""
        #expect(fanout100.contains("5000000!") && fanout100.hasSuffix("load-bound"), "\(report.output)")
        #expect(lines.contains { $0.hasPrefix("fanout100 generator CPU") && $0.contains("0.97!") }, "\(report.output)")
        let fanout1000 = lines.first { $0.hasPrefix("fanout1000 deliveries/s ") } ?? ""
        #expect(fanout1000.hasSuffix("2.00x"), "not load-bound: a ratio: \(report.output)")
    }

    @Test("only loopback targets are accepted")
    func loopbackOnly() {
        let result = Subprocess.run(bench, ["idle", "--host", "192.0.2.1", "--connections", "1"], timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains("only targets loopback"), "\(result.output)")
    }
}
