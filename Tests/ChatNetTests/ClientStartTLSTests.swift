// ClientStartTLSTests: the real tlschat --starttls against tlschatd's
// plaintext listener: with the right CA it upgrades and shows cert or tls
// trust; with a wrong CA the handshake fails with the reason, exit 3, and no
// chat command ever reaches the server in plaintext (a member watching the
// room sees the client arrive and leave, never its message); on the TLS port
// it gives up within its deadline instead of sending anything.
import Foundation
import Testing

@Suite("tlschat --starttls", .serialized)
struct ClientStartTLSTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    func startServer() throws -> (ServerProcess, Int) {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"])
        guard let plainPort = server.plainPort else {
            server.stop()
            throw TestFailure("no plaintext listener: \(server.child.stdout.text)")
        }
        return (server, plainPort)
    }

    @Test("right CA: upgrades, then chats as alice/cert (with --cert) or a guest/tls (without)", arguments: [true, false])
    func rightCA(_ withCertificate: Bool) throws {
        let (server, plainPort) = try startServer()
        defer { server.stop() }
        var arguments = ["127.0.0.1:\(plainPort)", "--starttls", "--ca", pki.cert("ca"), "--server-name", "localhost"]
        if withCertificate { arguments += ["--cert", pki.cert("alice"), "--key", pki.key("alice")] }
        let result = Subprocess.run(client, arguments, input: "/whoami\n", timeout: 30)
        #expect(result.status == 0, "\(result.output)")
        let expected = withCertificate ? "OK WHOAMI alice cert tls sha256:" : "tls tls - #lobby"
        #expect(result.output.contains(expected), "\(result.output)")
        #expect(!result.output.contains("plain"), "nothing of the plaintext part is shown: \(result.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("transport=plain->tls") }, "\(server.log)")
    }

    @Test("wrong CA: the handshake fails with the reason, exit 3, and the chat command is never sent in plaintext")
    func wrongCA() throws {
        let (server, plainPort) = try startServer()
        defer { server.stop() }
        let watcher = try ChildProcess("python3", ["-u", "-c", """
            import socket, sys
            s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
            f = s.makefile("rb")
            for line in f:
                print(line.decode().rstrip("\\n"), flush=True)
            """, "\(plainPort)"])
        defer { watcher.stop(signal: SIGKILL) }
        #expect(watcher.waitForOutput("HELLO chat/1 tlschatd plain "))
        let result = Subprocess.run(client, ["127.0.0.1:\(plainPort)", "--starttls", "--ca", pki.cert("other-ca"),
                                             "--cert", pki.cert("alice"), "--key", pki.key("alice")],
                                    input: "/join #secret\nhello in plaintext?\n", timeout: 30)
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("not signed by a CA you trust"), "\(result.output)")
        #expect(!result.output.contains("HELLO"), "\(result.output)")
        #expect(watcher.waitForOutput(" plain quit"), "the failed client's end: \(watcher.stdout.text)")
        #expect(!watcher.stdout.text.contains("hello in plaintext") && !watcher.stdout.text.contains("MSG"), "\(watcher.stdout.text)")
        #expect(!server.log.contains("#secret") && !server.log.contains("upgraded"), "\(server.log)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("reason=handshake-failed") }, "\(server.log)")
    }

    @Test("--starttls on the TLS port: no plaintext greeting, gives up with the reason within its deadline")
    func tlsPort() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = Subprocess.run(client, ["127.0.0.1:\(server.port)", "--starttls", "--ca", pki.cert("ca")], input: "hello\n", timeout: 30)
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("no chat/1 plaintext greeting"), "\(result.output)")
    }

    @Test("--starttls with --plain is a usage error")
    func contradiction() {
        let result = Subprocess.run(client, ["127.0.0.1:1", "--starttls", "--plain"], timeout: 10)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains("--plain and --starttls"), "\(result.output)")
    }
}
