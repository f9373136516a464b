// IRCListenerTests: the IRC listener's server-side rules on the real tlschatd:
// a plaintext IRC listener follows --plain-listen's (loopback unless allowed;
// not with --plain-require-starttls), a TLS ClientHello on it is refused with
// one ERROR line, registration must finish within the first-command timeout,
// and IRC lines count toward the command rate (refusals, then the flood close).
// Peers: Python sockets. Waits have deadlines; no fixed sleeps.
import Foundation
import Testing

@Suite("IRC listener rules", .serialized)
struct IRCListenerTests {
    let pki = TestPKI.shared

    func daemon(_ arguments: [String]) -> Subprocess.Result {
        Subprocess.run(RepoPaths.executable("tlschatd"), ["--cert", pki.cert("server"), "--key", pki.key("server"),
                                                          "--listen", "127.0.0.1:0", "--history", "none"] + arguments, timeout: 20)
    }

    @Test("a plaintext IRC listener on a public address is refused without --allow-public-plaintext")
    func publicPlaintextRefused() {
        let result = daemon(["--irc-plain-listen", "0.0.0.0:0"])
        #expect(result.status != 0)
        #expect(result.output.contains("refusing plaintext listener on non-loopback"), "\(result.output)")
    }

    @Test("--irc-plain-listen with --plain-require-starttls is refused (IRC users could never upgrade)")
    func plainRequireStartTLSRefused() {
        let result = daemon(["--irc-plain-listen", "127.0.0.1:0", "--plain-require-starttls"])
        #expect(result.status != 0)
        #expect(result.output.contains("--irc-plain-listen cannot be used with --plain-require-starttls"), "\(result.output)")
    }

    static let script = """
        import socket, sys, time
        port, case = int(sys.argv[1]), sys.argv[2]
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        def read_all():
            data = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    return data + b"<timeout>"
                if not chunk:
                    return data + b"<closed>"
                data += chunk
        if case == "clienthello":
            s.sendall(bytes([0x16, 0x03, 0x01, 0x00, 0x05]) + b"hello")
        elif case == "flood":
            s.sendall(b"NICK flooder\\r\\nUSER f 0 * :f\\r\\n" + b"PING :x\\r\\n" * 400)
        print(read_all().decode(errors="replace"))
        """

    func run(_ case: String, _ extra: [String]) throws -> (String, ServerProcess) {
        let server = try ServerProcess(["--irc-plain-listen", "127.0.0.1:0", "--history", "none"] + extra)
        guard let port = server.listeningPort(transport: "irc-plain") else {
            server.stop()
            throw TestFailure("no irc-plain listener: \(server.child.stdout.text)")
        }
        let result = Subprocess.run("python3", ["-c", Self.script, String(port), `case`], timeout: 30)
        return (result.output, server)
    }

    @Test("a TLS ClientHello on the plaintext IRC port gets one ERROR line and the connection is closed")
    func clientHelloOnPlainIRC() throws {
        let (output, server) = try run("clienthello", [])
        defer { server.stop() }
        #expect(output.contains("ERROR :this port speaks plaintext IRC, not TLS; closing\r\n<closed>"), "\(output)")
    }

    @Test("a connection that does not finish IRC registration within --first-command-timeout is closed with ERROR")
    func registrationTimeout() throws {
        let (output, server) = try run("silent", ["--first-command-timeout", "1"])
        defer { server.stop() }
        #expect(output.contains("ERROR :Closing link: registration not finished within 1"), "\(output)")
        #expect(output.hasSuffix("<closed>\n"), "\(output)")
    }

    @Test("IRC lines count toward the command rate: refusals, then the flood close, as on chat/1")
    func ircFlood() throws {
        let (output, server) = try run("flood", ["--command-burst", "5", "--commands-per-second", "1"])
        defer { server.stop() }
        #expect(output.contains(":tlschatd NOTICE ^flooder :too many commands; slow down (command dropped)"), "\(output)")
        #expect(output.contains("[flood] too many commands over the rate limit; closing"), "\(output)")
        #expect(output.contains("ERROR :Closing link:"), "\(output)")
        #expect(output.filter { $0 == "\n" }.count < 400, "most PINGs must be refused: \(output.prefix(2000))")
    }
}
