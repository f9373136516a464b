// ClientReconnectTests: `tlschat --reconnect` in tmux against real servers
// that come and go on one port: after a server restart the client comes back
// by itself, in the rooms it was in; when the server on that port then shows
// a certificate that is not valid for the host, the client stops with the
// reason and exit 3 instead of retrying or falling back; replaced by another
// login with the same certificate, it keeps running and waits long before
// signing in again, leaving the new session alone; without a terminal the
// flag is refused. Waits poll a condition against a deadline.
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
        #expect(screen.contains("is for example.com, not 127.0.0.1 (IP address mismatch)") && screen.contains("not reconnecting"), "\(screen)")
    }

    @Test("replaced by another login with the same certificate: it stays, waits long, and leaves the new session alone")
    func replacedWaits() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let tmux = Tmux()
        defer { tmux.kill() }
        let command = [client, "127.0.0.1:\(server.port)", "--ca", pki.cert("ca"),
                       "--cert", pki.cert("alice"), "--key", pki.key("alice"), "--reconnect"].map { "'\($0)'" }.joined(separator: " ")
        try tmux.start("\(command); echo \"EXITED $?\"; sleep 60")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        let other = try ChildProcess(client, ["127.0.0.1:\(server.port)", "--ca", pki.cert("ca"),
                                              "--cert", pki.cert("alice"), "--key", pki.key("alice")])
        defer { other.stop(signal: SIGKILL) }
        #expect(other.waitForOutput("HELLO chat/1 tlschatd tls alice cert"), "\(other.stdout.text) \(other.stderr.text)")
        #expect(tmux.waitForScreen { $0.contains("replaced this session") && $0.contains("reconnecting in") }, "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(!screen.contains("EXITED") && !screen.contains("not reconnecting"), "\(screen)")
        let wait = screen.split(separator: "\n").first { $0.contains("reconnecting in") }
            .flatMap { $0.split(separator: " ").drop { $0 != "in" }.dropFirst().first }.flatMap { Double($0) }
        #expect((60...120).contains(wait ?? 0), "waits 1-2 min: \(screen)")
        other.send("/whoami\n")  // the new session still works: it was not taken back
        other.closeInput()
        #expect(other.waitForExit() == 0, "\(other.stdout.text) \(other.stderr.text)")
        #expect(other.stdout.text.contains("OK WHOAMI alice cert"))
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
