// ClientReconnectTests: `tlschat --reconnect` in tmux against real servers
// that come and go on one port: after a server restart the client comes back
// by itself, in the rooms it was in; when the server on that port then shows
// a certificate that is not valid for the host, the client stops with the
// reason and exit 3 instead of retrying or falling back; without a terminal
// the flag is refused. Waits poll a condition against a deadline.
import Foundation
import Testing

@Suite("tlschat --reconnect", .serialized)
struct ClientReconnectTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    @Test("a restarted server: the client reconnects and rejoins its rooms; a wrong certificate then ends it (exit 3)")
    func reconnectsAfterRestart() throws {
        var server = try ServerProcess()
        let port = server.port
        let tmux = Tmux()
        defer { tmux.kill() }
        let command = [client, "127.0.0.1", "--port", "\(port)", "--ca", pki.cert("ca"),
                       "--cert", pki.cert("alice"), "--key", pki.key("alice"), "--reconnect"].map { "'\($0)'" }.joined(separator: " ")
        try tmux.start("\(command); echo \"EXITED $?\"; sleep 60")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys(literal: "/join #ops")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#ops>" }, "\(tmux.screen())")

        server.stop()  // SIGTERM: NOTICE shutdown, close_notify
        #expect(tmux.waitForScreen { $0.contains("reconnecting in") && $0.lastNonEmptyLine == "connecting>" }, "\(tmux.screen())")
        server = try ServerProcess(listenPort: port)
        #expect(tmux.waitForScreen { $0.components(separatedBy: "connected: TLS").count == 3 && $0.lastNonEmptyLine == "alice@#ops>" },
                "\(tmux.screen())")
        let bob = Subprocess.run(client, ["127.0.0.1", "--port", "\(port)", "--ca", pki.cert("ca"), "--cert", pki.cert("bob"),
                                          "--key", pki.key("bob")], input: "/join #ops\nanyone in ops?\n", timeout: 30)
        #expect(bob.status == 0, "\(bob.output)")
        #expect(tmux.waitForScreen { $0.contains("#ops <bob✔> anyone in ops?") }, "alice is back in #ops: \(tmux.screen())")

        server.stop()
        let impostor = try ServerProcess(["--cert", pki.cert("wronghost-server"), "--key", pki.key("wronghost-server")], listenPort: port)
        defer { impostor.stop() }
        #expect(tmux.waitForScreen { $0.contains("EXITED 3") }, "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(screen.contains("not valid for the IP address you connected to") && screen.contains("not reconnecting"), "\(screen)")
    }

    @Test("--reconnect without a terminal is a usage error: a script cannot know what its unanswered commands did")
    func refusedForScripts() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = Subprocess.run(client, ["127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"), "--reconnect"],
                                    input: "hello\n", timeout: 30)
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains("--reconnect is for interactive sessions"))
    }
}
