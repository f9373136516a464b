// MetricsEndpointTests: the real tlschatd with --metrics-listen 127.0.0.1:0,
// scraped with clients we did not write: `curl` fetches /metrics and Python's
// `prometheus_client.parser` (PyPI) parses it, so the format is checked by
// Prometheus's own parser. Chat clients are `openssl s_client`. The numbers
// must move as the test chats (connections, handshakes, a failed handshake,
// commands, messages, deliveries, bytes, a disconnect reason, history
// commits, the certificate's expiry). Bad HTTP clients (garbage, oversized,
// slow, more than the endpoint serves at once) are closed without delaying
// chat. A public metrics address is refused unless explicitly allowed.
import Foundation
import Testing

@Suite("Metrics endpoint (tlschatd --metrics-listen)", .serialized)
struct MetricsEndpointTests {
    let pki = TestPKI.shared

    /// Parses the exposition on stdin with prometheus_client and prints {"name{k=v,...}": value} as JSON.
    static let parser = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(sys.stdin.read()):
            for s in family.samples:
                out[s.name + "{" + ",".join(k + "=" + v for k, v in sorted(s.labels.items())) + "}"] = s.value
        print(json.dumps(out))
        """

    /// One scrape with curl, parsed by Prometheus's Python parser.
    func scrape(_ port: Int) throws -> [String: Double] {
        let curl = Subprocess.run("curl", ["-sS", "--fail", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"])
        guard curl.status == 0 else { throw TestFailure("curl failed (\(curl.status)): \(curl.output)") }
        let parsed = Subprocess.run("python3", ["-c", Self.parser], input: curl.output)
        guard parsed.status == 0, let data = parsed.output.data(using: .utf8),
              let values = try JSONSerialization.jsonObject(with: data) as? [String: Double] else {
            throw TestFailure("prometheus_client could not parse the scrape: \(parsed.output)\n\(curl.output)")
        }
        return values
    }

    func chatClient(_ port: Int, cert: String) throws -> ChildProcess {
        try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", pki.cert("ca"), "-verify_return_error",
                                     "-servername", "localhost", "-quiet", "-cert", pki.cert(cert), "-key", pki.key(cert)])
    }

    @Test("curl and prometheus_client scrape /metrics and the numbers move as two clients chat")
    func numbersMoveAsClientsChat() throws {
        let server = try ServerProcess(["--metrics-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let metricsPort = try #require(server.listeningPort(transport: "metrics", host: "127.0.0.1"), "stdout: \(server.child.stdout.text)")
        let before = try scrape(metricsPort)
        #expect(before.keys.contains { $0.hasPrefix("tlschat_build_info{version=") })
        #expect(before["tlschat_deliveries_total{}"] == 0)
        #expect(before["tlschat_tls_handshakes_total{reason=none,result=success}"] == nil)

        let alice = try chatClient(server.port, cert: "alice"), bob = try chatClient(server.port, cert: "bob")
        defer { alice.stop(signal: SIGKILL); bob.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1") && bob.waitForOutput("HELLO chat/1"))
        alice.send("JOIN #dev\n")
        #expect(alice.waitForOutput("OK JOIN #dev 1"))
        bob.send("JOIN #dev\nFROB\n")
        #expect(bob.waitForOutput("ERR UNKNOWN_COMMAND"))
        alice.send("SAY hello metrics\nMSG bob psst\n")
        #expect(bob.waitForOutput("MSG #dev alice cert hello metrics") && bob.waitForOutput("PRIV alice cert psst"))

        let chatted = try scrape(metricsPort)
        #expect(chatted["tlschat_connections_open{listener=chat-tls,trust=cert}"] == 2)
        #expect(chatted["tlschat_connections_accepted_total{listener=chat-tls}"] == 2)
        #expect(chatted["tlschat_tls_handshakes_total{reason=none,result=success}"] == 2)
        #expect(chatted["tlschat_commands_total{result=ok,verb=JOIN}"] == 2)
        #expect(chatted["tlschat_commands_total{result=ok,verb=SAY}"] == 1)
        #expect(chatted["tlschat_commands_total{result=UNKNOWN_COMMAND,verb=unparsed}"] == 1)
        #expect(chatted["tlschat_room_messages_total{}"] == 1)
        #expect(chatted["tlschat_private_messages_total{}"] == 1)
        #expect(chatted["tlschat_deliveries_total{}"] == 2)
        #expect((chatted["tlschat_received_bytes_total{}"] ?? 0) > (before["tlschat_received_bytes_total{}"] ?? 0) + 40)
        #expect((chatted["tlschat_sent_bytes_total{}"] ?? 0) > (before["tlschat_sent_bytes_total{}"] ?? 0) + 100)
        #expect((chatted["tlschat_history_commit_seconds_count{}"] ?? 0) >= 1, "the stored messages were committed")
        #expect((chatted["tlschat_loop_iteration_seconds_count{}"] ?? 0) > (before["tlschat_loop_iteration_seconds_count{}"] ?? 0))
        #expect(chatted["tlschat_loop_iteration_seconds_bucket{le=+Inf}"] == chatted["tlschat_loop_iteration_seconds_count{}"])
        #expect((chatted["tlschat_output_queue_high_water_bytes{}"] ?? 0) > 0)

        // A peer that speaks plain HTTP to the TLS port: a failed handshake, reason protocol.
        _ = Subprocess.run("curl", ["-s", "--max-time", "5", "http://127.0.0.1:\(server.port)/"])
        var latest: [String: Double] = [:]
        #expect(ChildProcess.waitUntil(timeout: 10) {
            latest = (try? scrape(metricsPort)) ?? [:]
            return latest["tlschat_tls_handshakes_total{reason=protocol,result=failure}"] == 1
        }, "handshakes: \(latest.filter { $0.key.contains("handshake") })")

        bob.send("BYE\n")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            latest = (try? scrape(metricsPort)) ?? [:]
            return latest["tlschat_disconnects_total{reason=bye}"] == 1
                && latest["tlschat_connections_open{listener=chat-tls,trust=cert}"] == 1
        }, "after BYE: \(latest.filter { $0.key.contains("disconnect") || $0.key.contains("open") })")
        #expect(latest["tlschat_disconnects_total{reason=handshake-failed}"] == 1)

        #expect(latest["tlschat_certificate_expiry_timestamp_seconds{}"] == Self.notAfterSeconds(pki.cert("server")))
        let started = latest["tlschat_process_start_time_seconds{}"] ?? 0
        #expect(abs(started - Date().timeIntervalSince1970) < 300)
    }

    @Test("open connections are labelled by listener kind and trust: plaintext chat/1 and IRC over ncat, TLS anonymous")
    func connectionsByListenerAndTrust() throws {
        let server = try ServerProcess(["--metrics-listen", "127.0.0.1:0", "--plain-listen", "127.0.0.1:0", "--irc-plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let metricsPort = try #require(server.listeningPort(transport: "metrics"))
        let plainPort = try #require(server.plainPort), ircPort = try #require(server.listeningPort(transport: "irc-plain"))
        let plain = try ChildProcess("ncat", ["127.0.0.1", "\(plainPort)"])
        let irc = try ChildProcess("ncat", ["-C", "127.0.0.1", "\(ircPort)"])
        let anonymous = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                     "-verify_return_error", "-servername", "localhost", "-quiet"])
        defer { plain.stop(signal: SIGKILL); irc.stop(signal: SIGKILL); anonymous.stop(signal: SIGKILL) }
        #expect(plain.waitForOutput("HELLO chat/1 tlschatd plain"))
        irc.send("NICK carol\nUSER carol 0 * :Carol\n")
        #expect(irc.waitForOutput(" 001 "), "\(irc.stdout.text)")
        #expect(anonymous.waitForOutput("HELLO chat/1 tlschatd tls ~guest"))
        let open = try scrape(metricsPort)
        #expect(open["tlschat_connections_open{listener=chat-plain,trust=plaintext}"] == 1)
        #expect(open["tlschat_connections_open{listener=irc-plain,trust=plaintext}"] == 1)
        #expect(open["tlschat_connections_open{listener=chat-tls,trust=anonymous}"] == 1)
        #expect(open["tlschat_connections_accepted_total{listener=irc-plain}"] == 1)
        #expect(open["tlschat_connections_accepted_total{listener=chat-plain}"] == 1)
    }

    /// A certificate file's notAfter in seconds since 1970 (openssl reads it, Python converts it).
    static func notAfterSeconds(_ file: String) -> Double? {
        let notAfter = Subprocess.run("openssl", ["x509", "-noout", "-enddate", "-in", file]).output
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "notAfter=", with: "")
        let seconds = Subprocess.run("python3", ["-c", "import ssl, sys; print(int(ssl.cert_time_to_seconds(sys.argv[1])))", notAfter])
        return Double(seconds.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("the certificate expiry gauge follows a reloaded server certificate")
    func expiryFollowsReload() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try ServerProcess(["--client-ca", pki.path("ca.pem"), "--metrics-listen", "127.0.0.1:0"], clientCA: false,
                                       certificate: (pki.path("srv/server.pem"), pki.path("srv/server.key")))
        defer { server.stop() }
        let metricsPort = try #require(server.listeningPort(transport: "metrics"))
        let old = try #require(Self.notAfterSeconds(pki.path("srv/server.pem")))
        #expect(try scrape(metricsPort)["tlschat_certificate_expiry_timestamp_seconds{}"] == old)
        _ = try pki.issueServerCertificate(1)
        let new = try #require(Self.notAfterSeconds(pki.path("new-1.pem")))
        try pki.shell("cp new-1.key srv/.k; mv -f srv/.k srv/server.key; cp new-1.pem srv/.c; mv -f srv/.c srv/server.pem")
        var seen: Double?
        #expect(ChildProcess.waitUntil(timeout: 5) {
            seen = (try? scrape(metricsPort))?["tlschat_certificate_expiry_timestamp_seconds{}"]
            return seen == new
        }, "old \(old), new \(new), scraped \(String(describing: seen)); log: \(server.log.suffix(1000))")
        #expect(new != old, "the renewed certificate must expire at another second for this test to prove anything")
    }

    /// Garbage, an oversized head, 16 slow clients holding every request slot and a 17th over the limit,
    /// then 60 answered connections kept open plus 4 slow ones (64 in all) and a 65th.
    static let badClients = """
        import socket, sys, time
        def connect():
            return socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
        def answer(s):
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: return data
                data += chunk
        s = connect(); s.sendall(b"\\x16\\x03\\x01\\x00\\xff garbage\\r\\n\\r\\n"); print("garbage:", answer(s)[:12].decode()); s.close()
        s = connect(); s.sendall(b"GET /metrics HTTP/1.1\\r\\nX-Fill: " + b"a" * 9000)
        print("oversize:", answer(s)[:12].decode()); s.close()
        def refused_at_once():
            extra = connect(); start = time.time()
            try:
                data = extra.recv(100)
            except ConnectionResetError:
                data = b""
            return "%r after %.1f s" % (data, time.time() - start)
        def wait_closed(sockets):
            start = time.time()
            for s in sockets:
                try:
                    while s.recv(65536): pass
                except ConnectionResetError:
                    pass
            return "%.1f s" % (time.time() - start)
        slow = [connect() for _ in range(16)]
        for s in slow: s.sendall(b"GET /metr")
        print("over the limit closed:", refused_at_once(), flush=True)
        print("slow closed after", wait_closed(slow), flush=True)
        # Answered connections the client keeps open count toward 64 in all, not toward the 16.
        kept = []
        for _ in range(60):
            s = connect(); s.sendall(b"GET /metrics HTTP/1.1\\r\\n\\r\\n"); answer(s); kept.append(s)
        slow = [connect() for _ in range(4)]
        for s in slow: s.sendall(b"GET /metr")
        print("over 64 in all closed:", refused_at_once(), flush=True)
        print("kept closed after", wait_closed(kept + slow), flush=True)
        """

    @Test("garbage, oversized, slow and surplus HTTP clients (over 16 unanswered, over 64 in all) are closed; chat goes on meanwhile")
    func badHTTPClientsAreClosed() throws {
        let server = try ServerProcess(["--metrics-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let metricsPort = try #require(server.listeningPort(transport: "metrics"))
        let alice = try chatClient(server.port, cert: "alice")
        defer { alice.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1"))
        let bad = try ChildProcess("python3", ["-c", Self.badClients, "\(metricsPort)"])
        defer { bad.stop(signal: SIGKILL) }
        #expect(bad.waitForOutput("garbage: HTTP/1.1 400"), "\(bad.stdout.text) \(bad.stderr.text)")
        #expect(bad.waitForOutput("oversize: HTTP/1.1 431"), "\(bad.stdout.text) \(bad.stderr.text)")
        #expect(bad.waitForOutput("over the limit closed: b''"), "\(bad.stdout.text) \(bad.stderr.text)")
        alice.send("PING while-slow\n")  // 16 slow HTTP clients hold the endpoint: chat answers at once
        #expect(alice.waitForOutput("OK PING while-slow", timeout: 2))
        #expect(bad.waitForOutput("slow closed after", timeout: 15), "\(bad.stdout.text) \(bad.stderr.text)")
        let surplusAfter = bad.stdout.text.components(separatedBy: "over the limit closed: b'' after ").last.flatMap { Double($0.prefix(while: { $0 != " " })) }
        #expect(surplusAfter.map { $0 < 2 } == true, "the 17th connection is closed on accept: \(bad.stdout.text)")
        let closedAfter = bad.stdout.text.components(separatedBy: "slow closed after ").last.flatMap { Double($0.prefix(while: { $0 != " " })) }
        #expect(closedAfter.map { $0 >= 3 && $0 < 10 } == true, "the request deadline is 5 s: \(bad.stdout.text)")
        #expect(bad.waitForOutput("kept closed after", timeout: 15), "\(bad.stdout.text) \(bad.stderr.text)")
        #expect(bad.waitForExit() == 0, "\(bad.stdout.text) \(bad.stderr.text)")
        let totalAfter = bad.stdout.text.components(separatedBy: "over 64 in all closed: b'' after ").last.flatMap { Double($0.prefix(while: { $0 != " " })) }
        #expect(totalAfter.map { $0 < 2 } == true, "the 65th connection is closed on accept: \(bad.stdout.text)")
        let after = try scrape(metricsPort)
        #expect(after["tlschat_metrics_requests_total{result=refused}"] == 24, "400 + 431 + 16 slow + 1 over 16 + 4 slow + 1 over 64")
        alice.send("WHOAMI\n")
        #expect(alice.waitForOutput("OK WHOAMI alice"))
    }

    @Test("history commit failures are counted when the disk is full (file size limit)")
    func historyCommitFailuresCounted() throws {
        // 256 KiB of file size (soft limit): the database is created, then the WAL fills up.
        let server = try ServerProcess(["--metrics-listen", "127.0.0.1:0", "--command-burst", "1000", "--commands-per-second", "1000"],
                                       launcher: ["/usr/bin/env", "--default-signal=XFSZ", "prlimit", "--fsize=262144:unlimited", "--"])
        defer { server.stop() }
        let metricsPort = try #require(server.listeningPort(transport: "metrics"))
        #expect(try scrape(metricsPort)["tlschat_history_commit_failures_total{}"] == 0)
        let alice = try chatClient(server.port, cert: "alice")
        defer { alice.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1"))
        let text = String(repeating: "x", count: 3000)
        alice.send((0..<200).map { "SAY \($0) \(text)\n" }.joined())
        var latest: [String: Double] = [:]
        #expect(ChildProcess.waitUntil(timeout: 20) {
            latest = (try? scrape(metricsPort)) ?? [:]
            return (latest["tlschat_history_commit_failures_total{}"] ?? 0) >= 1
        }, "\(latest.filter { $0.key.contains("history") }) log: \(server.log.suffix(1000))")
        #expect((latest["tlschat_history_commit_seconds_count{}"] ?? 0) >= (latest["tlschat_history_commit_failures_total{}"] ?? 0))
    }

    @Test("a metrics listener on a non-loopback address is refused unless --allow-public-metrics; --help names both")
    func publicAddressNeedsConsent() throws {
        let base = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0", "--history", "none"]
        let refused = Subprocess.run(RepoPaths.executable("tlschatd"), base + ["--metrics-listen", "0.0.0.0:0"], timeout: 20)
        #expect(refused.status != 0)
        #expect(refused.output.contains("refusing metrics listener on non-loopback 0.0.0.0") && refused.output.contains("--allow-public-metrics"),
                "\(refused.output)")
        let allowed = try ChildProcess(RepoPaths.executable("tlschatd"), base + ["--metrics-listen", "0.0.0.0:0", "--allow-public-metrics"])
        #expect(allowed.waitForOutput("listening metrics 0.0.0.0 "), "\(allowed.stderr.text)")
        #expect(allowed.stop() == 0)
        let help = Subprocess.run(RepoPaths.executable("tlschatd"), ["--help"]).output
        #expect(help.contains("--metrics-listen") && help.contains("--allow-public-metrics"))
    }
}
