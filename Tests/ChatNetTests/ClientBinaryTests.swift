// ClientBinaryTests: the real tlschat binary against the real tlschatd, as a
// user or a script meets it: two users exchange room and private messages;
// the exit status tells OK / ERR / bad script apart; server verification
// failures (untrusted CA, wrong host name, wrong IP) and client certificate
// rejections are explained in plain words before anything is sent; plaintext
// only with --plain (and a warning), never as a fallback; and an interactive
// session in tmux keeps the line being typed intact when a message arrives.
// Every wait polls a condition against a deadline; no fixed sleeps.
import Foundation
import Testing

@Suite("tlschat binary", .serialized)
struct ClientBinaryTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    /// Runs tlschat in scripted mode with `script` on stdin.
    func chat(_ arguments: [String], script: String, timeout: TimeInterval = 30) -> Subprocess.Result {
        Subprocess.run(client, arguments, input: script, timeout: timeout)
    }

    /// Arguments for a TLS client of `server` signed in as `user` (nil: anonymous).
    func tls(_ server: ServerProcess, as user: String?, host: String = "127.0.0.1") -> [String] {
        var arguments = [host, "--port", "\(server.port)", "--ca", pki.cert("ca")]
        if let user { arguments += ["--cert", pki.cert(user), "--key", pki.key(user)] }
        return arguments
    }

    @Test("alice and bob exchange a room message and a private message; both exit 0")
    func roomAndPrivateMessages() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let bob = try ChildProcess(client, tls(server, as: "bob"))
        defer { bob.stop(signal: SIGKILL) }
        bob.send("/join #dev\n")
        #expect(bob.waitForOutput("OK JOIN #dev 1"), "bob: \(bob.stdout.text) \(bob.stderr.text)")
        let alice = chat(tls(server, as: "alice"), script: "/join #dev\nhello bob\n/msg bob psst\n")
        #expect(alice.status == 0, "alice: \(alice.output)")
        #expect(alice.output.contains("HELLO chat/1 tlschatd tls alice cert #lobby"))
        #expect(alice.output.contains("OK SAY #dev sent 1/1"))
        #expect(alice.output.contains("OK MSG bob sent 1/1"))
        #expect(alice.output.contains("OK BYE"))
        #expect(bob.waitForOutput("MSG #dev alice cert hello bob"))
        #expect(bob.waitForOutput("PRIV alice cert psst"))
        bob.closeInput()
        #expect(bob.waitForExit() == 0, "bob: \(bob.stdout.text) \(bob.stderr.text)")
        #expect(bob.stdout.text.hasSuffix("OK BYE\n"))
    }

    @Test("exit status: 0 when every command got OK, 1 after an ERR (first error on stderr), 2 for an unknown command")
    func exitStatus() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let good = chat(tls(server, as: nil), script: "/nick carol\n/who\n/rooms\n/whoami\n/ping 7\n")
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("OK NICK ~carol"))
        #expect(good.output.contains("OK PING 7"))
        let bad = chat(tls(server, as: nil), script: "/join bad\nnot sent\n")
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.contains("tlschat: script line 1: JOIN bad: ERR BAD_ARGUMENTS"), "\(bad.output)")
        #expect(!bad.output.contains("OK SAY"), "the first ERR stops the script")
        let keptGoing = chat(tls(server, as: nil) + ["--keep-going"], script: "/join bad\nstill sent\n")
        #expect(keptGoing.status == 1, "\(keptGoing.output)")
        #expect(keptGoing.output.contains("tlschat: script line 1: JOIN bad: ERR BAD_ARGUMENTS"))
        #expect(keptGoing.output.contains("OK SAY #lobby"), "--keep-going: later commands still run")
        let unknown = chat(tls(server, as: nil), script: "/frob\nhello\n")
        #expect(unknown.status == 2, "\(unknown.output)")
        #expect(unknown.output.contains("unknown command /frob"))
        #expect(!unknown.output.contains("OK SAY"), "nothing after the bad line is sent")
    }

    @Test("a failed /join stops the script: its next line never reaches #lobby (an observer there sees a later marker, not it)")
    func failedJoinDoesNotSayInTheLobby() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let observer = try ChildProcess(client, tls(server, as: "bob"))
        defer { observer.stop(signal: SIGKILL) }
        #expect(observer.waitForOutput("HELLO chat/1 tlschatd tls bob cert #lobby"), "\(observer.stderr.text)")
        let stopped = chat(tls(server, as: "alice"), script: "/join ops\nhello-after-failed-join\n")
        #expect(stopped.status == 1, "\(stopped.output)")
        #expect(stopped.output.contains("tlschat: script line 1: JOIN ops: ERR BAD_ARGUMENTS"), "\(stopped.output)")
        #expect(stopped.output.contains("nothing after script line 1 was sent"), "\(stopped.output)")
        #expect(stopped.output.contains("OK BYE"))
        #expect(!stopped.output.contains("OK SAY"))
        // The marker: the same script with --keep-going does reach #lobby. Both sessions ended in
        // order and the server keeps each recipient's lines in order, so once the observer has the
        // marker it would already have had the first text, had it been sent.
        let kept = chat(tls(server, as: "alice") + ["--keep-going"], script: "/join ops\nmarker-kept-going\n")
        #expect(kept.status == 1, "\(kept.output)")
        #expect(kept.output.contains("OK SAY #lobby sent 1/1"), "\(kept.output)")
        #expect(observer.waitForOutput("MSG #lobby alice cert marker-kept-going"), "\(observer.stdout.text)")
        #expect(!observer.stdout.text.contains("hello-after-failed-join"), "\(observer.stdout.text)")
        observer.closeInput()
        #expect(observer.waitForExit() == 0, "\(observer.stdout.text) \(observer.stderr.text)")
    }

    @Test("an untrusted server certificate: the failed check is named, nothing is sent, non-zero exit")
    func untrustedServer() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        var arguments = tls(server, as: "alice")
        arguments[4] = pki.cert("other-ca")
        let result = chat(arguments, script: "hello\n")
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("not signed by a CA you trust (pass the right --ca FILE)"), "\(result.output)")
        #expect(result.output.contains("certificate verification: unable to get local issuer certificate"))
        #expect(!result.output.contains("HELLO"))
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("connection failed before the chat started") }, "\(server.log)")
    }

    @Test("a server certificate for another name: hostname or IP mismatch is reported", arguments: ["localhost", "127.0.0.1"])
    func wrongHostName(_ host: String) throws {
        // Later --cert/--key override the ServerProcess defaults: SAN DNS:example.com only.
        let server = try ServerProcess(["--cert", pki.cert("wronghost-server"), "--key", pki.key("wronghost-server")])
        defer { server.stop() }
        let result = chat(tls(server, as: nil, host: host), script: "hello\n")
        #expect(result.status == 3, "\(result.output)")
        let check = host == "localhost" ? "hostname mismatch" : "IP address mismatch"
        #expect(result.output.contains("the server's certificate is for example.com, not \(host) (\(check))"), "\(result.output)")
        #expect(result.output.contains("certificate verification: \(check)"))
        #expect(!result.output.contains("HELLO"))
    }

    @Test("a server that requires client certificates: the client says so, or says why its certificate was rejected",
          arguments: [(nil, "the server requires a client certificate (use --cert"),
                      ("expired", "the server rejected your client certificate (it has expired"),
                      ("selfsigned", "the server rejected your client certificate (it is not signed by a CA the server trusts)")])
    func clientCertificateRequired(_ user: String?, _ expected: String) throws {
        let server = try ServerProcess(["--client-auth", "require"])
        defer { server.stop() }
        let result = chat(tls(server, as: user), script: "hello\n")
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains(expected), "\(result.output)")
        #expect(!result.output.contains("HELLO"))
    }

    @Test("plaintext only with --plain (with a warning); a TLS client never falls back to plaintext")
    func plaintextIsExplicit() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let port = try #require(server.plainPort)
        let plain = chat(["127.0.0.1", "--port", "\(port)", "--plain", "--name", "carol"], script: "hi\n")
        #expect(plain.status == 0, "\(plain.output)")
        #expect(plain.output.contains("warning: --plain: the connection is NOT encrypted"))
        #expect(plain.output.contains("HELLO chat/1 tlschatd plain ~guest"))
        #expect(plain.output.contains("OK NICK ~carol"))
        let noFallback = chat(["127.0.0.1", "--port", "\(port)", "--ca", pki.cert("ca")], script: "hi\n")
        #expect(noFallback.status == 3, "\(noFallback.output)")
        // tlschatd answers a TLS ClientHello on its plaintext port with one plaintext NOTICE and closes.
        #expect(noFallback.output.contains("this port speaks plaintext chat/1"), "\(noFallback.output)")
        #expect(!noFallback.output.contains("HELLO"))
    }

    @Test("usage errors: --cert without --key, --plain with certificates")
    func usageErrors() {
        let missingKey = chat(["--cert", pki.cert("alice")], script: "")
        #expect(missingKey.status != 0)
        #expect(missingKey.output.contains("--cert and --key go together"))
        let plainWithCert = chat(["--plain", "--cert", pki.cert("alice"), "--key", pki.key("alice")], script: "")
        #expect(plainWithCert.status != 0)
        #expect(plainWithCert.output.contains("--plain has no TLS"))
    }

    @Test("interactive in tmux: the prompt shows name and room; an incoming message keeps the typed text on the last line")
    func interactiveSession() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let tmux = Tmux()
        defer { tmux.kill() }
        let command = ([client] + tls(server, as: "alice")).map { "'\($0)'" }.joined(separator: " ")
        try tmux.start("saved=$(stty -g); \(command); status=$?; [ \"$(stty -g)\" = \"$saved\" ] && r=restored || r=NOT-restored; echo \"EXITED $status $r\"; sleep 60")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")  // capture-pane trims trailing spaces
        tmux.keys(literal: "hello wor")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby> hello wor" }, "\(tmux.screen())")
        let bob = chat(tls(server, as: "bob"), script: "hi alice\n/msg alice psst\n")
        #expect(bob.status == 0, "\(bob.output)")
        #expect(tmux.waitForScreen { $0.contains("(private) <bob✔> psst") }, "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(screen.contains("#lobby <bob✔> hi alice"))
        #expect(screen.lastNonEmptyLine == "alice@#lobby> hello wor", "\(screen)")
        #expect(tmux.cursorColumn() == "alice@#lobby> hello wor".count)
        tmux.keys(literal: "ld")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("#lobby <alice✔> hello world") }, "\(tmux.screen())")
        tmux.keys(literal: "/join #dev")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#dev>" }, "\(tmux.screen())")
        tmux.keys(literal: "/quit")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("EXITED 0 restored") }, "\(tmux.screen())")
    }
}
