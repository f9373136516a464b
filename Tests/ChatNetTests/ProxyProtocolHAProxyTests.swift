// ProxyProtocolHAProxyTests: real HAProxy (Debian's haproxy package, installed
// by Scripts/test) in front of a real tlschatd with `send-proxy-v2`, and
// openssl s_client as the chat client: a PROXY v2 header written by software
// we did not write is accepted, TLS still ends at tlschatd, and the client's
// address (127.0.0.1) replaces HAProxy's (its backend connects from
// 127.0.0.2, the only trusted address) in the server's log. HAProxy's own
// health checks on the traffic port send a header too and must not be refused.
@testable import ChatNet
import Foundation
import Testing

@Suite("PROXY protocol v2 behind real HAProxy", .serialized)
struct ProxyProtocolHAProxyTests {
    let pki = TestPKI.shared

    /// A loopback port that was free a moment ago (HAProxy must be told one).
    func freePort() throws -> Int {
        let socket = try Socket.listening(on: SocketAddress.resolve("127.0.0.1:0")[0])
        defer { socket.close() }
        return try socket.localAddress().port
    }

    @Test("openssl s_client -> HAProxy (send-proxy-v2, from 127.0.0.2) -> tlschatd: chats, logged as the client's address")
    func chatThroughHAProxy() throws {
        let server = try ServerProcess(["--proxy-protocol", "127.0.0.1:0", "--proxy-trusted", "127.0.0.2"])
        defer { server.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-haproxy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let frontPort = try freePort()
        let configuration = """
            defaults
                mode tcp
                timeout connect 5s
                timeout client 30s
                timeout server 30s
            frontend chat
                bind 127.0.0.1:\(frontPort)
                default_backend tlschatd
            backend tlschatd
                source 127.0.0.2
                server chat1 127.0.0.1:\(server.port) send-proxy-v2 check inter 500ms

            """
        try configuration.write(toFile: directory + "/haproxy.cfg", atomically: true, encoding: .utf8)
        let haproxy = try ChildProcess("haproxy", ["-db", "-f", directory + "/haproxy.cfg"])
        defer { haproxy.stop() }
        // HAProxy is up once its health check (with its own PROXY header) has reached tlschatd.
        #expect(ChildProcess.waitUntil(timeout: 20) { server.log.contains("peer=127.0.0.2:") || !haproxy.isRunning },
                "haproxy: \(haproxy.stderr.text) log: \(server.log)")
        let client = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(frontPort)", "-CAfile", pki.cert("ca"),
                                                  "-verify_return_error", "-servername", "localhost", "-quiet",
                                                  "-cert", pki.cert("alice"), "-key", pki.key("alice")])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1 tlschatd tls alice cert"), "s_client: \(client.stdout.text) \(client.stderr.text)")
        client.send("PING through-haproxy\n")
        #expect(client.waitForOutput("OK PING through-haproxy"), "s_client: \(client.stdout.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("connected") && server.log.contains("peer=127.0.0.1:") && server.log.contains("name=alice")
        }, "log: \(server.log)")
        #expect(!server.log.contains("refused"), "neither HAProxy's checks nor its relayed client may be refused: \(server.log)")
    }
}
