// NATSClientLiveTests: the NATSClient module against a real nats-server (the
// Debian package, started per test on 127.0.0.1 with a random port and
// JetStream in a temporary directory): publish/subscribe, queue groups,
// automatic unsubscribe, request/reply with no responders and timeouts,
// headers, payloads over max_payload (our check and the server's -ERR),
// user/password, token and nkey authentication (and their failures), flow
// control, and the seed order and servers learned from INFO.
import ChatNet
import Foundation
@testable import NATSClient
import Testing

@Suite("NATSClient against nats-server", .serialized)
struct NATSClientLiveTests {
    @Test("publish/subscribe with wildcards, queue groups and unsubscribe after N messages")
    func publishSubscribe() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        var received: [String] = [], queueA = 0, queueB = 0, limited = 0
        try probe.client.subscribe("greet.*") { received.append("\($0.subject)=\($0.text)") }
        try probe.client.subscribe("work", queue: "q") { _ in queueA += 1 }
        try probe.client.subscribe("work", queue: "q") { _ in queueB += 1 }
        let limitedSubscription = try probe.client.subscribe("limited") { _ in limited += 1 }
        probe.client.unsubscribe(limitedSubscription, after: 2)
        for name in ["ann", "bob"] { try probe.client.publish("greet.\(name)", text: "hi \(name)") }
        for _ in 0..<10 { try probe.client.publish("work", text: "job") }
        for _ in 0..<5 { try probe.client.publish("limited", text: "x") }
        #expect(probe.run { received.count == 2 && queueA + queueB == 10 && limited == 2 })
        #expect(received == ["greet.ann=hi ann", "greet.bob=hi bob"])
        // A round trip proves nothing else is in flight: the limited subscription stayed at 2.
        try probe.client.subscribe("echo") { message in try? probe.client.publish(message.replyTo!, text: "pong") }
        #expect(try probe.request("echo", "ping").map { try? $0.get().text } == "pong")
        #expect(limited == 2 && !limitedSubscription.isActive)
        #expect(throws: NATSError.invalidSubject("bad subject")) { try probe.client.publish("bad subject", text: "x") }
    }

    @Test("request/reply: a reply, no responders at once, a timeout, and the outstanding-request bound")
    func requestReply() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url]) { $0.maximumOutstandingRequests = 2 }
        defer { probe.finish() }
        #expect(probe.connect())
        try probe.client.subscribe("math.double") { message in
            try? probe.client.publish(message.replyTo!, text: String(2 * (Int(message.text) ?? 0)))
        }
        try probe.client.subscribe("blackhole") { _ in }
        #expect(try probe.request("math.double", "21").map { try? $0.get().text } == "42")
        let started = MonotonicClock.now()
        #expect(try probe.request("nobody.listens", "?").map { $0 } == .failure(.noResponders(subject: "nobody.listens")))
        #expect(MonotonicClock.now() - started < 2_000_000_000)  // answered by the server, not a timeout
        #expect(try probe.request("blackhole", "?", timeout: .milliseconds(200)).map { $0 } == .failure(.timedOut(subject: "blackhole")))
        try probe.client.request("blackhole", payload: [], timeout: .seconds(30)) { _ in }
        try probe.client.request("blackhole", payload: [], timeout: .seconds(30)) { _ in }
        #expect(throws: NATSError.tooManyOutstandingRequests(limit: 2)) {
            try probe.client.request("blackhole", payload: [], timeout: .seconds(30)) { _ in }
        }
    }

    @Test("headers travel with HPUB and arrive in HMSG, repeated names and order kept")
    func headers() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        var got: NATSMessage?
        try probe.client.subscribe("h") { got = $0 }
        var headers = NATSHeaders([("Trace-Id", "abc-1"), ("Multi", "one")])
        headers.append("Multi", "two")
        try probe.client.publish("h", payload: Array("body".utf8), headers: headers)
        #expect(probe.run { got != nil })
        #expect(got?.headers?["Trace-Id"] == "abc-1")
        #expect(got?.headers?.values("Multi") == ["one", "two"])
        #expect(got?.text == "body")
    }

    @Test("payloads over max_payload: refused locally, and the server's -ERR closes the connection when sent anyway")
    func oversizePayload() throws {
        let directory = try NATSServerProcess.temporaryDirectory("payload")
        defer { NATSServerProcess.remove(directory) }
        try "max_payload: 1024\n".write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["-c", directory + "/server.conf"])
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        #expect(probe.client.serverInfo?.maximumPayload == 1024)
        #expect(throws: NATSError.payloadTooLarge(size: 2000, limit: 1024)) {
            try probe.client.publish("big", payload: [UInt8](repeating: 65, count: 2000))
        }
        let unchecked = try NATSClientProbe(urls: [server.url]) { $0.checksMaximumPayload = false }
        defer { unchecked.finish() }
        #expect(unchecked.connect())
        try unchecked.client.publish("big", payload: [UInt8](repeating: 65, count: 2000))
        #expect(unchecked.run { unchecked.reconnectCount == 1 })
        #expect(unchecked.serverErrors.contains("Maximum Payload Violation"))
        #expect(unchecked.disconnectReasons.first?.contains("Maximum Payload Violation") == true)
    }

    @Test("a wrong password is reported as the server's Authorization Violation and ends in closed, with backoff between attempts")
    func authorizationErrors() throws {
        let directory = try NATSServerProcess.temporaryDirectory("auth")
        defer { NATSServerProcess.remove(directory) }
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["--user", "svc", "--pass", "right"])
        defer { server.stop() }
        let wrong = try NATSClientProbe(urls: ["nats://svc:wrong@127.0.0.1:\(server.port)"]) {
            $0.maximumAuthorizationFailures = 3
            $0.reconnectBaseDelay = .milliseconds(100)
            $0.reconnectJitter = .zero
        }
        defer { wrong.finish() }
        let started = MonotonicClock.now()
        wrong.client.start()
        #expect(wrong.run { wrong.client.state == .closed })
        let elapsed = MonotonicClock.now() - started
        #expect(wrong.serverErrors == Array(repeating: "Authorization Violation", count: 3))
        #expect(wrong.attemptFailures.count == 3)
        #expect(wrong.closedReason?.contains("authorization failed 3 times") == true, "\(wrong.events)")
        #expect(elapsed >= 300_000_000, "attempts must back off (100 ms, then 200 ms), not loop tightly")
        let right = try NATSClientProbe(urls: ["nats://127.0.0.1:\(server.port)"]) {
            $0.user = "svc"
            $0.password = "right"
        }
        defer { right.finish() }
        #expect(right.connect())
    }

    @Test("token authentication: the right token connects, a wrong one is refused")
    func tokenAuthentication() throws {
        let server = try NATSServerProcess(extraArguments: ["--auth", "s3cret"])
        defer { server.stop() }
        let right = try NATSClientProbe(urls: ["nats://s3cret@127.0.0.1:\(server.port)"])
        defer { right.finish() }
        #expect(right.connect())
        let wrong = try NATSClientProbe(urls: [server.url]) {
            $0.token = "nope"
            $0.maximumAuthorizationFailures = 1
        }
        defer { wrong.finish() }
        wrong.client.start()
        #expect(wrong.run { wrong.client.state == .closed })
        #expect(wrong.serverErrors.contains("Authorization Violation"))
    }

    @Test("flow control: a full outgoing buffer refuses publishes with wouldBlock, then reports writable when drained")
    func flowControl() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let probe = try NATSClientProbe(urls: [server.url]) { $0.outgoingBufferLimit = 1000 }
        defer { probe.finish() }
        #expect(probe.connect())
        var received = 0
        try probe.client.subscribe("flow") { _ in received += 1 }
        let payload = [UInt8](repeating: 66, count: 200)
        var accepted = 0
        var refusal: NATSError?
        for _ in 0..<10 {  // all in one loop iteration: nothing is written until the flush
            do {
                try probe.client.publish("flow", payload: payload)
                accepted += 1
            } catch {
                refusal = error
                break
            }
        }
        #expect(accepted == 4, "4 messages of about 215 bytes fit in 1000")
        guard case .wouldBlock(_, 1000)? = refusal else {
            Issue.record("expected wouldBlock, got \(String(describing: refusal))")
            return
        }
        #expect(!probe.events.contains(.writable))
        #expect(probe.run { probe.events.contains(.writable) })  // reported once the queue drained
        #expect(probe.client.outgoingBufferedBytes <= 500)
        try probe.client.publish("flow", payload: payload)  // drained: accepted again
        #expect(probe.run { received == 5 })
        #expect(probe.client.state == .connected)
    }

    @Test("seeds are tried in order: a dead first seed is skipped and the advertised servers are learned")
    func seedOrderAndDiscovery() throws {
        let server = try NATSServerProcess()
        defer { server.stop() }
        let dead = try Socket.listening(on: try #require(try SocketAddress.resolve("127.0.0.1:0").first))
        let deadPort = try dead.localAddress().port
        dead.close()  // nothing listens there any more: connection refused
        let probe = try NATSClientProbe(urls: ["nats://127.0.0.1:\(deadPort)", server.url])
        defer { probe.finish() }
        #expect(probe.connect())
        #expect(probe.attemptFailures.count == 1)
        #expect(probe.attemptFailures.first?.contains("connect failed") == true, "\(probe.events)")
        #expect(probe.client.currentServer?.port == server.port)

        let loop = try EventLoop()
        let info = #"INFO {"server_id":"F","max_payload":1048576,"connect_urls":["127.0.0.1:4999","[::1]:5000","127.0.0.1:4999"]}"# + "\r\n"
        let fake = try FakeNATSServer(loop: loop, info: info) { connection, input in
            if input.hasSuffix("PING\r\n") { connection.write("PONG\r\n") }
        }
        let learner = try NATSClientProbe(urls: [fake.url], loop: loop)
        defer { learner.finish(also: fake.close) }
        #expect(learner.connect())
        #expect(learner.client.knownServers.map(\.description) == [fake.url, "nats://127.0.0.1:4999", "nats://[::1]:5000"])
        #expect(learner.client.knownServers.dropFirst().allSatisfy { $0.isDiscovered })
    }

    @Test("nkey authentication: the listed key signs the server's nonce and connects; another key is refused")
    func nkeyAuthentication() throws {
        let directory = try NATSServerProcess.temporaryDirectory("nkey")
        defer { NATSServerProcess.remove(directory) }
        let seed = "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
        let listed = try NATSNKey(seed: seed).publicKey
        try "authorization { users = [ { nkey: \"\(listed)\" } ] }\n"
            .write(toFile: directory + "/server.conf", atomically: true, encoding: .utf8)
        let server = try NATSServerProcess(storeDirectory: directory, extraArguments: ["-c", directory + "/server.conf"])
        defer { server.stop() }
        let right = try NATSClientProbe(urls: [server.url]) { $0.nkeySeed = seed }
        defer { right.finish() }
        #expect(right.connect(), "\(right.events)")
        let other = NATSNKey.encodeSeed((0..<32).map { UInt8($0) })
        let wrong = try NATSClientProbe(urls: [server.url]) {
            $0.nkeySeed = other
            $0.maximumAuthorizationFailures = 1
        }
        defer { wrong.finish() }
        wrong.client.start()
        #expect(wrong.run { wrong.client.state == .closed })
        #expect(wrong.serverErrors.contains("Authorization Violation"))
        let broken = try NATSClientProbe(urls: [server.url]) { $0.nkeySeed = "SUNOTASEED" }
        defer { broken.finish() }
        broken.client.start()
        #expect(broken.run { broken.client.state == .closed })
        #expect(broken.closedReason?.contains("nkey seed") == true, "\(broken.events)")
    }
}

