// ProxyProtocolTests: a real tlschatd with --proxy-protocol, driven by a load
// balancer played with Python's standard library (Tests/Fixtures/proxy_client.py:
// PROXY v2 headers built with struct, TLS with the ssl module). Guards
// against: the relayed address not being used (per-address limit, logs), the
// client's first bytes sent with the header being lost (TLS ClientHello, or a
// plaintext line), an untrusted address asserting a client address, and a
// malformed, v1 or late header doing anything but closing that connection
// with one log line while others keep chatting. Start-up errors for the
// options are checked too.
import Foundation
import Testing

@Suite("PROXY protocol v2 listeners (tlschatd + Python load balancer)", .serialized)
struct ProxyProtocolTests {
    let pki = TestPKI.shared
    static let script = RepoPaths.root + "/Tests/Fixtures/proxy_client.py"

    func server(_ extra: [String], trusted: [String] = ["127.0.0.1"]) throws -> ServerProcess {
        try ServerProcess(["--proxy-protocol", "127.0.0.1:0"] + trusted.flatMap { ["--proxy-trusted", $0] } + extra)
    }

    func balancer(_ port: Int, _ specs: [String], options: [String] = []) -> Subprocess.Result {
        Subprocess.run("python3", [Self.script] + options + [String(port), pki.cert("ca")] + specs, timeout: 60)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("a relayed TLS client (header and ClientHello in one write) chats, and the log shows the relayed address")
    func relayedTLSClientChats() throws {
        let server = try server([])
        defer { server.stop() }
        let result = balancer(server.port, ["proxy:203.0.113.7:5000", "proxy:2001:db8::42:6000", "local"])
        #expect(result.status == 0, "\(result.output)")
        for number in 1...3 {
            #expect(result.output.contains("\(number) greeting: HELLO chat/1 tlschatd tls"), "\(result.output)")
            #expect(result.output.contains("\(number) reply: OK PING p\(number)"), "\(result.output)")
        }
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("peer=203.0.113.7:5000") && server.log.contains("peer=[2001:db8::42]:6000")
                && server.log.contains("peer=127.0.0.1:")  // LOCAL: the balancer's own address
        }, "log: \(server.log)")
    }

    @Test("a header sent on its own before the TLS handshake (as HAProxy does) works too")
    func separateHeader() throws {
        let server = try server([])
        defer { server.stop() }
        let result = balancer(server.port, ["proxy:198.51.100.20:7000"], options: ["--separate"])
        #expect(result.output.contains("1 reply: OK PING p1"), "\(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("peer=198.51.100.20:7000") }, "log: \(server.log)")
    }

    @Test("--max-clients-per-address applies to the relayed address, not the balancer's")
    func perAddressLimitUsesRelayedAddress() throws {
        let server = try server(["--max-clients-per-address", "1"])
        defer { server.stop() }
        let result = balancer(server.port, ["proxy:203.0.113.7:1001", "proxy:203.0.113.7:1002", "proxy:198.51.100.9:1003"])
        #expect(result.output.contains("1 reply: OK PING p1"), "\(result.output)")
        #expect(result.output.contains("2 closed:"), "\(result.output)")
        #expect(!result.output.contains("2 greeting"), "\(result.output)")
        #expect(result.output.contains("3 reply: OK PING p3"), "\(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("refused connections over the limits") && server.log.contains("last-peer=203.0.113.7")
        }, "log: \(server.log)")
    }

    @Test("a connection from an address outside --proxy-trusted is closed with one log line", arguments: [
        ["127.0.0.2"], ["10.0.0.0/8", "::1"],
    ])
    func untrustedBalancerClosed(_ trusted: [String]) throws {
        let server = try server([], trusted: trusted)
        defer { server.stop() }
        let result = balancer(server.port, ["proxy:203.0.113.7:5000"])
        #expect(result.output.contains("1 closed:"), "\(result.output)")
        #expect(!result.output.contains("greeting"), "\(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("refused: connection to a PROXY protocol listener from an untrusted address")
        }, "log: \(server.log)")
        #expect(server.log.contains("peer=127.0.0.1:"), "log: \(server.log)")
        #expect(!server.log.contains("203.0.113.7"), "an untrusted header must not be read: \(server.log)")
    }

    @Test("malformed, v1, TLS-first and oversized headers close only their own connection, each with its reason")
    func malformedHeadersCloseOnlyThemselves() throws {
        let server = try server([])
        defer { server.stop() }
        let v1 = Self.hex(Array("PROXY TCP4 203.0.113.7 10.0.0.1 5000 2222\r\n".utf8))
        let wrong = Self.hex(Array("HELLO there, this is not a header\n".utf8))
        let tlsFirst = "160301020001"
        let huge = Self.hex(Array(ProxyHeaderBytes.header(body: []).prefix(14)) + [0x02, 0x19])  // 537 bytes announced
        let unix = Self.hex(ProxyHeaderBytes.header(family: 0x31, body: [UInt8](repeating: 0, count: 216)))
        let result = balancer(server.port, ["proxy:198.51.100.1:1000", "raw:" + v1, "raw:" + wrong, "raw:" + tlsFirst,
                                            "raw:" + huge, "raw:" + unix])
        for number in 2...6 {  // a FIN, or a reset when the server closed with bytes unread
            #expect(result.output.contains("\(number) closed: closed by the server") || result.output.contains("\(number) closed: reset"),
                    "\(result.output)")
        }
        #expect(result.output.contains("1 reply: OK PING p1"), "the relayed client kept chatting: \(result.output)")
        for reason in ["only version 2 (binary) is accepted", "no PROXY v2 signature", "began with a TLS record",
                       "announces 537 bytes", "address family UNIX"] {
            #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains(reason) }, "\(reason) not in log: \(server.log)")
        }
        #expect(server.log.components(separatedBy: "refused: bad PROXY protocol header").count - 1 == 5, "log: \(server.log)")
    }

    @Test("a flood of bad headers is logged in a burst of 20, not one line each")
    func aFloodOfBadHeadersDoesNotFloodTheLog() throws {
        let server = try server([])
        defer { server.stop() }
        let wrong = "raw:" + Self.hex(Array("HELLO there, this is not a header\n".utf8))
        let result = balancer(server.port, ["proxy:198.51.100.1:1000"] + Array(repeating: wrong, count: 100))
        #expect(result.output.contains("1 reply: OK PING p1"), "the relayed client kept chatting: \(result.output)")
        #expect(result.output.contains("101 closed"), "\(result.output.suffix(500))")
        let logged = server.log.components(separatedBy: "refused: bad PROXY protocol header").count - 1
        #expect((20...22).contains(logged), "\(logged) lines for 100 bad headers")
    }

    @Test("a header that does not arrive within --handshake-timeout closes the connection")
    func lateHeaderTimesOut() throws {
        let server = try server(["--handshake-timeout", "1"])
        defer { server.stop() }
        let result = balancer(server.port, ["partial:" + Self.hex(Array(ProxyHeaderBytes.header(body: []).prefix(12)))])
        #expect(result.output.contains("1 closed: closed by the server after"), "\(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("no complete PROXY v2 header within the handshake timeout (12 bytes received)")
        }, "log: \(server.log)")
    }

    @Test("a plaintext listener with PROXY: the line sent in the header's write is not lost")
    func plainListenerKeepsFirstLine() throws {
        // "127.0.0.1:0" names both listeners (TLS from ServerProcess, and this plaintext one): both are marked.
        let server = try server(["--plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let port = try #require(server.plainPort)
        let result = balancer(port, ["proxy:192.0.2.44:4444"], options: ["--plain", "--first-line", "PING early"])
        #expect(result.output.contains("1 greeting: HELLO chat/1 tlschatd plain"), "\(result.output)")
        #expect(result.output.contains("1 first-line reply: OK PING early"), "\(result.output)")
        #expect(result.output.contains("1 reply: OK PING p1"), "\(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("peer=192.0.2.44:4444") }, "log: \(server.log)")
    }

    @Test("--help documents both options")
    func helpDocumentsThem() {
        let result = Subprocess.run(RepoPaths.executable("tlschatd"), ["--help"], timeout: 20)
        for text in ["--proxy-protocol <proxy-protocol>", "--proxy-trusted <proxy-trusted>", "PROXY protocol v2 header"] {
            #expect(result.output.contains(text), "help: \(result.output)")
        }
    }

    @Test("option mistakes are start-up errors naming the option", arguments: [
        (["--proxy-protocol", "127.0.0.1:0"], "--proxy-protocol needs --proxy-trusted"),
        (["--proxy-protocol", "127.0.0.1:2299", "--proxy-trusted", "10.0.0.1"], "--proxy-protocol 127.0.0.1:2299 is not one of the listeners"),
        (["--proxy-protocol", "127.0.0.1:0", "--proxy-trusted", "10.0.0.1/8"], "--proxy-trusted '10.0.0.1/8' has address bits set past /8"),
        (["--proxy-protocol", "127.0.0.1:0", "--proxy-trusted", "lb.example"], "--proxy-trusted 'lb.example' is not an IPv4 or IPv6 address"),
        (["--proxy-trusted", "10.0.0.1"], "--proxy-trusted needs --proxy-protocol"),
    ])
    func optionMistakes(_ arguments: [String], _ expected: String) {
        let result = Subprocess.run(RepoPaths.executable("tlschatd"),
                                    ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0",
                                     "--history", "none"] + arguments, timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains(expected), "output: \(result.output)")
        #expect(!result.output.contains("listening"))
    }
}
