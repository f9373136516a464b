// NATSClientFailureTests: how the NATS client survives failures. Against a
// real nats-server: the server killed (SIGKILL) and restarted on the same
// port (subscriptions renewed, publishes buffered while down delivered, the
// reconnect buffer bound), a real slow consumer cut off by the server, and
// TLS to NATS (verified against the test CA; a server whose certificate the
// client cannot verify is refused, never spoken to in plaintext). Against a
// scripted fake server: a close in the middle of a message, garbage, an
// oversize control line, an oversize payload, unanswered PINGs (stale), a
// scripted -ERR 'Slow Consumer', a server without header support.
import ChatNet
import Foundation
@testable import NATSClient
import Testing

/// A script that answers every PING with PONG, as a server would, then runs `after`.
private func handshake(then after: @escaping (PlainConnection, String) -> Void) -> (PlainConnection, String) -> Void {
    var answered: [ObjectIdentifier: Int] = [:]
    return { connection, input in
        let pings = input.components(separatedBy: "PING\r\n").count - 1
        for _ in answered[ObjectIdentifier(connection), default: 0]..<max(pings, answered[ObjectIdentifier(connection), default: 0]) {
            connection.write("PONG\r\n")
        }
        answered[ObjectIdentifier(connection)] = max(pings, answered[ObjectIdentifier(connection), default: 0])
        after(connection, input)
    }
}

@Suite("NATSClient failures", .serialized)
struct NATSClientFailureTests {
    @Test("server killed and restarted: subscriptions renewed, publishes buffered while down are delivered")
    func reconnectAfterServerDeath() throws {
        let directory = try NATSServerProcess.temporaryDirectory("reconnect")
        defer { NATSServerProcess.remove(directory) }
        var server = try NATSServerProcess(storeDirectory: directory)
        let port = server.port
        let probe = try NATSClientProbe(urls: [server.url]) { $0.reconnectBufferLimit = 4096 }
        defer { probe.finish() }
        #expect(probe.connect())
        var received: [String] = []
        try probe.client.subscribe("events.>") { received.append($0.text) }
        try probe.client.publish("events.a", text: "before")
        #expect(probe.run { received == ["before"] })

        server.kill()
        #expect(probe.run { probe.client.state == .reconnecting })
        #expect(probe.disconnectReasons.count == 1)
        for index in 1...3 { try probe.client.publish("events.b", text: "while-down-\(index)") }
        #expect(probe.client.reconnectBufferedBytes > 0)
        #expect(throws: NATSError.reconnectBufferFull(limit: 4096)) {
            try probe.client.publish("events.c", payload: [UInt8](repeating: 1, count: 4000))
        }
        #expect(probe.run(for: .seconds(1)) { probe.attemptFailures.count >= 2 })  // refused while down, retried

        server = try NATSServerProcess(port: port, storeDirectory: directory)
        defer { server.stop() }
        #expect(probe.run { probe.reconnectCount == 1 })
        #expect(probe.run { received.count == 4 })
        #expect(received == ["before", "while-down-1", "while-down-2", "while-down-3"])
        #expect(probe.client.reconnectBufferedBytes == 0)
    }

    @Test("a real slow consumer is cut off by nats-server and the client reconnects by itself")
    func slowConsumer() throws {
        let directory = try NATSServerProcess.temporaryDirectory("slow")
        defer { NATSServerProcess.remove(directory) }
        try "max_pending: 65536\nmax_payload: 16384\nwrite_deadline: \"500ms\"\n".write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["-c", directory + "/server.conf"])
        defer { server.stop() }
        let slow = try NATSClientProbe(urls: [server.url])
        defer { slow.finish() }
        #expect(slow.connect())
        var count = 0
        try slow.client.subscribe("firehose") { _ in count += 1 }
        try slow.client.publish("firehose", text: "x")
        #expect(slow.run { count == 1 })
        // The publisher runs its own loop while the subscriber's loop is not run at all.
        let fast = try NATSClientProbe(urls: [server.url])
        defer { fast.finish() }
        #expect(fast.connect())
        let chunk = [UInt8](repeating: 7, count: 16 * 1024)
        #expect(fast.run(for: .seconds(20)) {
            _ = try? fast.client.publish("firehose", payload: chunk)
            return server.log.contains("Slow Consumer")
        })
        #expect(slow.run { slow.reconnectCount == 1 })
        #expect(slow.disconnectReasons.count == 1)
    }

    @Test("the server's own PINGs are answered: a server pinging every 100 ms keeps the client")
    func answersServerPings() throws {
        let directory = try NATSServerProcess.temporaryDirectory("pings")
        defer { NATSServerProcess.remove(directory) }
        try "ping_interval: \"100ms\"\nping_max: 2\n".write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["-c", directory + "/server.conf", "-V"])
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        #expect(probe.run { server.log.components(separatedBy: "<<- [PONG]").count > 6 })  // our PONGs, in its trace
        #expect(probe.disconnectReasons.isEmpty, "\(probe.events)")
        #expect(probe.client.state == .connected)
    }

    @Test("TLS to NATS: verified against the CA, with a client certificate when the server requires one")
    func tlsToNATS() throws {
        let pki = TestPKI.shared
        let server = try NATSServerProcess(extraArguments: [
            "--tls", "--tlscert", pki.cert("server"), "--tlskey", pki.key("server"),
        ])
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: ["tls://127.0.0.1:\(server.port)"]) {
            $0.tls = .client(trustRoots: .file(pki.path("ca.pem")))
        }
        defer { probe.finish() }
        #expect(probe.connect(), "\(probe.events)")
        var got = ""
        try probe.client.subscribe("secure") { got = $0.text }
        try probe.client.publish("secure", text: "over tls")
        #expect(probe.run { got == "over tls" })

        // nats:// URL, no TLS options: the server's tls_required still forces TLS, with the
        // system CA store, which does not know the test CA: refused, and CONNECT never sent.
        let untrusting = try NATSClientProbe(urls: [server.url]) { $0.maximumReconnectAttempts = 1 }
        defer { untrusting.finish() }
        untrusting.client.start()
        #expect(untrusting.run { untrusting.client.state == .closed })
        #expect(untrusting.attemptFailures.first?.contains("certificate verify failed") == true, "\(untrusting.events)")
        #expect(!server.log.contains("Authorization Violation"))

        let mutual = try NATSServerProcess(extraArguments: [
            "--tlsverify", "--tlscert", pki.cert("server"), "--tlskey", pki.key("server"), "--tlscacert", pki.path("ca.pem"),
        ])
        defer { mutual.stop() }
        let withCertificate = try NATSClientProbe(urls: ["tls://127.0.0.1:\(mutual.port)"]) {
            $0.tls = .client(trustRoots: .file(pki.path("ca.pem")), certificateChainFile: pki.cert("alice"),
                             privateKeyFile: pki.key("alice"))
        }
        defer { withCertificate.finish() }
        #expect(withCertificate.connect(), "\(withCertificate.events)")
    }

    @Test("TLS demanded by the client but not offered by the server: refused before CONNECT")
    func tlsNotOffered() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: ["tls://127.0.0.1:\(server.port)"]) { $0.maximumReconnectAttempts = 1 }
        defer { probe.finish() }
        probe.client.start()
        #expect(probe.run { probe.client.state == .closed })
        #expect(probe.attemptFailures.first?.contains("the server does not offer TLS") == true, "\(probe.events)")
    }

    @Test("plaintext bytes after a TLS-requiring INFO are refused, never read as if they came over TLS")
    func plaintextInjectionBeforeTLS() throws {
        let loop = try EventLoop()
        let info = #"INFO {"server_id":"F","max_payload":1048576,"tls_required":true}"# + "\r\nMSG injected 1 2\r\nhi\r\n"
        let fake = try FakeNATSServer(loop: loop, info: info) { _, _ in }
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) {
            $0.tls = .client(trustRoots: .file(TestPKI.shared.path("ca.pem")))
            $0.maximumReconnectAttempts = 1
        }
        defer { probe.finish(also: fake.close) }
        probe.client.start()
        #expect(probe.run { probe.client.state == .closed })
        #expect(probe.attemptFailures.first?.contains("bytes after INFO before the TLS handshake") == true, "\(probe.events)")
    }

    @Test("a server that closes in the middle of a message: nothing half-delivered, reconnects")
    func closeMidFrame() throws {
        let loop = try EventLoop()
        let fake = try FakeNATSServer(loop: loop, script: handshake { connection, input in
            if input.contains("SUB cut 1\r\n") { connection.write("MSG cut 1 10\r\nhel"); connection.close(.graceful) }
        })
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop)
        defer { probe.finish(also: fake.close) }
        var delivered = 0
        try probe.client.subscribe("cut") { _ in delivered += 1 }
        #expect(probe.connect())
        #expect(probe.run { probe.reconnectCount >= 1 })
        #expect(probe.disconnectReasons.first?.contains("closed") == true, "\(probe.events)")
        #expect(delivered == 0)
    }

    @Test("garbage, an oversize control line and an oversize payload each close the connection with a readable reason")
    func malformedServers() throws {
        let cases: [(String, String)] = [
            ("GARBAGE here\r\n", "unknown operation 'GARBAGE'"),
            (String(repeating: "M", count: 5000), "control line longer than 4096 bytes"),
            ("MSG big 1 2000000\r\n", "exceeds the limit of 1048576 bytes"),
        ]
        for (reply, reason) in cases {
            let loop = try EventLoop()
            let fake = try FakeNATSServer(loop: loop) { connection, input in  // never answers the PING
                if input.hasSuffix("PING\r\n") { connection.write(reply) }
            }
            let probe = try NATSClientProbe(urls: [fake.url], loop: loop) { $0.maximumReconnectAttempts = 1 }
            defer { probe.finish(also: fake.close) }
            probe.client.start()
            #expect(probe.run { probe.client.state == .closed })
            #expect(probe.attemptFailures.first?.contains(reason) == true, "\(probe.events)")
        }
    }

    @Test("a server that fails right after each CONNECT is retried with a growing delay, not in a tight loop")
    func flappingServer() throws {
        let loop = try EventLoop()
        let fake = try FakeNATSServer(loop: loop, script: handshake { connection, input in
            if input.hasSuffix("PING\r\n") { connection.write("GARBAGE\r\n") }
        })
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) {
            $0.reconnectBaseDelay = .milliseconds(50)
            $0.reconnectMaximumDelay = .seconds(10)
            $0.reconnectJitter = .zero
        }
        defer { probe.finish(also: fake.close) }
        probe.client.start()
        let started = MonotonicClock.now()
        #expect(probe.run { probe.disconnectReasons.count >= 4 })
        // 50 + 100 + 200 ms of backoff at least between the four connections.
        #expect(MonotonicClock.now() - started >= 350_000_000, "\(probe.events)")
        #expect(probe.disconnectReasons.allSatisfy { $0.contains("unknown operation 'GARBAGE'") })
        #expect(fake.connections.count <= 5)
    }

    @Test("unanswered PINGs make the connection stale; a scripted -ERR 'Slow Consumer' is reported and survived")
    func staleAndServerErrors() throws {
        let loop = try EventLoop()
        var answered = 0
        let fake = try FakeNATSServer(loop: loop) { connection, input in
            let pings = input.components(separatedBy: "PING\r\n").count - 1
            if pings > answered && answered == 0 { connection.write("PONG\r\n"); answered = 1 }  // CONNECT's PING only
        }
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) {
            $0.pingInterval = .milliseconds(100)
            $0.maximumPingsOutstanding = 2
        }
        defer { probe.finish(also: fake.close) }
        #expect(probe.connect())
        #expect(probe.run(for: .seconds(5)) { !probe.disconnectReasons.isEmpty })
        #expect(probe.disconnectReasons.first?.contains("stale connection: 2 PINGs without a PONG") == true, "\(probe.events)")

        let errorLoop = try EventLoop()
        let erring = try FakeNATSServer(loop: errorLoop, script: handshake { connection, input in
            if input.hasSuffix("PING\r\n") && input.components(separatedBy: "PING").count == 2 {
                connection.write("-ERR 'Slow Consumer'\r\n")
                connection.close(.graceful)
            }
        })
        let victim = try NATSClientProbe(urls: [erring.url], loop: errorLoop)
        defer { victim.finish(also: erring.close) }
        #expect(victim.connect())
        #expect(victim.run { victim.reconnectCount >= 1 })
        #expect(victim.serverErrors.first == "Slow Consumer")
        #expect(victim.disconnectReasons.first == "server error: Slow Consumer", "\(victim.events)")
    }

    @Test("refused locally: headers to a server without header support, subscriptions past the bound")
    func localRefusals() throws {
        let loop = try EventLoop()
        let info = #"INFO {"server_id":"OLD","max_payload":1048576,"headers":false}"# + "\r\n"
        let fake = try FakeNATSServer(loop: loop, info: info, script: handshake { _, _ in })
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) { $0.maximumSubscriptions = 2 }
        defer { probe.finish(also: fake.close) }
        #expect(probe.connect())
        #expect(throws: NATSError.headersNotSupported) {
            try probe.client.publish("x", payload: [], headers: NATSHeaders([("A", "b")]))
        }
        try probe.client.publish("x", text: "plain is fine")
        try probe.client.subscribe("a") { _ in }
        try probe.client.subscribe("b") { _ in }
        #expect(throws: NATSError.tooManySubscriptions(limit: 2)) { try probe.client.subscribe("c") { _ in } }
    }

    @Test("closing from the disconnect event stops for good; an INFO max_payload above our own cap is capped")
    func closeFromHandlerAndPayloadCap() throws {
        let loop = try EventLoop()
        let info = #"INFO {"server_id":"BIG","max_payload":1073741824}"# + "\r\n"
        let fake = try FakeNATSServer(loop: loop, info: info, script: handshake { connection, input in
            if input.hasSuffix("PING\r\n") { connection.write("MSG big 1 2000\r\n") }
        })
        let probe = try NATSClientProbe(urls: [fake.url], loop: loop) { $0.maximumIncomingPayload = 1000 }
        defer { probe.finish(also: fake.close) }
        var reason: String?
        probe.client.onEvent = { [unowned probe] event in
            if case .disconnected(let why) = event {
                reason = why
                probe.client.close()
            }
        }
        probe.client.start()
        #expect(probe.run { probe.client.state == .closed })
        #expect(probe.client.reconnectTimer?.isCancelled ?? true, "no reconnect may be pending after close")
        #expect(probe.client.serverInfo?.maximumPayload == 1_073_741_824)
        #expect(probe.client.connection == nil)
        #expect(fake.connections.count == 1)
        #expect(reason?.contains("exceeds the limit of 1000 bytes") == true, "\(String(describing: reason))")
    }
}

