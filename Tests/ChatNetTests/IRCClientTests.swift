// IRCClientTests: the real tlschatd with --irc-listen against IRC clients we
// did not write: the `irc` library from PyPI (scripted, with SASL EXTERNAL in
// place of its built-in PLAIN), WeeChat (weechat-headless, driven through its
// FIFO, read through its logs) and irssi (in tmux, read from its screen and
// logs). Each connects over TLS with alice's client certificate,
// authenticates with SASL EXTERNAL, joins #shared, where bob is a chat/1 user
// (Python's ssl or `openssl s_client`), and messages go both ways. Scripts/test
// installs the clients when missing. Waits have deadlines; no fixed sleeps.
import Foundation
import Testing

@Suite("IRC clients against tlschatd", .serialized)
struct IRCClientTests {
    let pki = TestPKI.shared

    func startServer() throws -> (ServerProcess, ircPort: Int) {
        let server = try ServerProcess(["--irc-listen", "127.0.0.1:0", "--history", "none"])
        guard let port = server.listeningPort(transport: "irc") else {
            server.stop()
            throw TestFailure("tlschatd announced no IRC listener: \(server.child.stdout.text)")
        }
        return (server, port)
    }

    /// bob on chat/1 through `openssl s_client`, already in #shared.
    func chatPeerInShared(_ server: ServerProcess) throws -> ChildProcess {
        let peer = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                "-verify_return_error", "-servername", "localhost", "-quiet",
                                                "-cert", pki.cert("bob"), "-key", pki.key("bob")])
        guard peer.waitForOutput("HELLO chat/1 tlschatd tls bob cert") else {
            peer.stop(signal: SIGKILL)
            throw TestFailure("chat/1 peer not greeted: \(peer.stdout.text) \(peer.stderr.text)")
        }
        peer.send("JOIN #shared\n")
        guard peer.waitForOutput("OK JOIN #shared") else {
            peer.stop(signal: SIGKILL)
            throw TestFailure("chat/1 peer could not join: \(peer.stdout.text)")
        }
        return peer
    }

    func temporaryDirectory(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func fileText(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test("the Python irc library: TLS with a client certificate, SASL EXTERNAL, nick = certificate name, messages both ways with a chat/1 user")
    func pythonIRCLibrary() throws {
        let (server, ircPort) = try startServer()
        defer { server.stop() }
        let result = Subprocess.run("python3", ["-c", Self.pythonBot, "127.0.0.1", String(ircPort), String(server.port), pki.cert("ca"),
                                                pki.cert("alice"), pki.key("alice"), pki.cert("bob"), pki.key("bob")], timeout: 40)
        #expect(result.status == 0, "python said: \(result.output)")
        #expect(result.output.contains("PASS sasl=True nick=alice bob-user=cert chat1-saw='MSG #shared alice cert hello from irc'"),
                "python said: \(result.output)")
    }

    @Test("WeeChat (headless): -ssl -ssl_cert -sasl_mechanism=external logs in as alice and exchanges messages with a chat/1 user")
    func weechat() throws {
        let (server, ircPort) = try startServer()
        defer { server.stop() }
        let peer = try chatPeerInShared(server)
        defer { peer.stop(signal: SIGKILL) }
        let home = try temporaryDirectory("weechat")
        defer { try? FileManager.default.removeItem(atPath: home) }
        // WeeChat 3.8 takes the client certificate and its key in one PEM file.
        let combined = home + "/alice-with-key.pem"
        try (Self.fileText(pki.cert("alice")) + Self.fileText(pki.key("alice"))).write(toFile: combined, atomically: true, encoding: .utf8)
        let commands = [
            "/set weechat.network.gnutls_ca_user \(pki.cert("ca"))",
            "/set logger.file.flush_delay 0",
            "/server add tlschat 127.0.0.1/\(ircPort) -ssl -ssl_cert=\(combined) -sasl_mechanism=external -nicks=alice -autojoin=#shared",
            "/connect tlschat",
        ].joined(separator: ";")
        let weechat = try ChildProcess("weechat-headless", ["--dir", home, "--run-command", commands])
        defer { weechat.stop(signal: SIGKILL) }
        let serverLog = home + "/logs/irc.server.tlschat.weechatlog", channelLog = home + "/logs/irc.tlschat.#shared.weechatlog"
        #expect(ChildProcess.waitUntil(timeout: 30) { Self.fileText(channelLog).contains("alice (cert@tlschat) has joined #shared") },
                "WeeChat log: \(Self.fileText(serverLog))")
        #expect(Self.fileText(serverLog).contains("SASL authentication successful"), "WeeChat log: \(Self.fileText(serverLog))")
        #expect(peer.waitForOutput("JOINED #shared alice cert"))
        peer.send("SAY hello from chat1\n")
        #expect(ChildProcess.waitUntil(timeout: 20) {
            Self.fileText(channelLog).split(separator: "\n").contains { $0.contains("bob") && $0.hasSuffix("hello from chat1") }
        }, "WeeChat #shared log: \(Self.fileText(channelLog))")
        let fifo = home + "/weechat_fifo_\(weechat.pid)"
        #expect(ChildProcess.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: fifo) })
        let handle = try #require(FileHandle(forWritingAtPath: fifo))
        handle.write(Data("irc.tlschat.#shared *hello from weechat\n".utf8))
        try handle.close()
        #expect(peer.waitForOutput("MSG #shared alice cert hello from weechat"), "chat/1 peer saw: \(peer.stdout.text)")
    }

    @Test("irssi in tmux: use_tls, tls_cert/tls_pkey, sasl_mechanism EXTERNAL logs in as alice and exchanges messages with a chat/1 user")
    func irssi() throws {
        let (server, ircPort) = try startServer()
        defer { server.stop() }
        let peer = try chatPeerInShared(server)
        defer { peer.stop(signal: SIGKILL) }
        let home = try temporaryDirectory("irssi")
        defer { try? FileManager.default.removeItem(atPath: home) }
        try Self.irssiConfig(port: ircPort, pki: pki, logs: home + "/logs").write(toFile: home + "/config", atomically: true, encoding: .utf8)
        let tmux = Tmux()
        defer { tmux.kill() }
        try tmux.start("irssi --home=\(home)")
        #expect(tmux.waitForScreen(timeout: 30) { $0.contains("SASL authentication succeeded") }, "irssi: \(tmux.screen())")
        #expect(peer.waitForOutput("JOINED #shared alice cert"), "chat/1 peer saw: \(peer.stdout.text)")
        tmux.keys(literal: "/window goto #shared")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("alice [cert@tlschat] has joined #shared") }, "irssi: \(tmux.screen())")
        peer.send("SAY hello from chat1\n")
        #expect(tmux.waitForScreen { $0.contains("< bob> hello from chat1") }, "irssi: \(tmux.screen())")
        tmux.keys(literal: "hello from irssi")
        tmux.keys("Enter")
        #expect(peer.waitForOutput("MSG #shared alice cert hello from irssi"), "chat/1 peer saw: \(peer.stdout.text)")
    }

    static func irssiConfig(port: Int, pki: TestPKI, logs: String) -> String {
        """
        servers = (
          {
            address = "localhost"; chatnet = "tlschat"; port = "\(port)"; autoconnect = "yes";
            use_tls = "yes"; tls_verify = "yes"; tls_cafile = "\(pki.cert("ca"))";
            tls_cert = "\(pki.cert("alice"))"; tls_pkey = "\(pki.key("alice"))";
          }
        );
        chatnets = { tlschat = { type = "IRC"; sasl_mechanism = "EXTERNAL"; }; };
        channels = ( { name = "#shared"; chatnet = "tlschat"; autojoin = "yes"; } );
        settings = {
          core = { nick = "alice"; real_name = "Alice"; user_name = "alice"; };
          "fe-common/core" = { autolog = "yes"; autolog_path = "\(logs)/$tag/$0.log"; };
        };
        """
    }

    static let pythonBot = """
        import functools, socket, ssl, sys, time
        import irc.client, irc.connection

        host, irc_port, chat_port, ca, cert, key, peer_cert, peer_key = sys.argv[1:9]
        deadline = time.monotonic() + 30

        def fail(why):
            print("FAIL", why, flush=True)
            sys.exit(1)

        # The chat/1 side: bob, with Python's ssl, joins #shared.
        context = ssl.create_default_context(cafile=ca)
        context.load_cert_chain(peer_cert, peer_key)
        chat = context.wrap_socket(socket.create_connection((host, int(chat_port)), timeout=30), server_hostname=host)
        pending = b""
        def chat_wait(prefix):
            global pending
            while True:
                while b"\\n" not in pending:
                    data = chat.recv(4096)
                    if not data:
                        fail("chat/1 connection closed waiting for " + prefix)
                    pending += data
                line, pending = pending.split(b"\\n", 1)
                if line.decode().startswith(prefix):
                    return line.decode()
        chat_wait("HELLO ")
        chat.sendall(b"JOIN #shared\\n")
        chat_wait("OK JOIN #shared")

        # The IRC side: the irc library, with SASL EXTERNAL instead of its built-in PLAIN. The
        # library starts its SASL exchange only when given a login and a password; the two
        # steps below replace PLAIN with EXTERNAL, so neither is ever sent.
        class ExternalSASLConnection(irc.client.ServerConnection):
            def _sasl_cap_req(self, event):
                if event.type == "cap" and event.arguments[0] == "ACK" and "sasl" in event.arguments[1].split():
                    self.send_items("AUTHENTICATE", "EXTERNAL")
                    self._sasl_step = self._sasl_auth_plain
                elif event.type == "cap" and event.arguments[0] == "NAK":
                    fail("CAP REQ sasl refused")

            def _sasl_auth_plain(self, event):
                if event.type == "authenticate" and event.target == "+":
                    self.send_items("AUTHENTICATE", "+")
                    self._sasl_step = self._sasl_auth_sent

        reactor = irc.client.Reactor()
        reactor.connection_class = ExternalSASLConnection
        tls = ssl.create_default_context(cafile=ca)
        tls.load_cert_chain(cert, key)
        factory = irc.connection.Factory(wrapper=functools.partial(tls.wrap_socket, server_hostname=host))
        state = {}

        def on_sasl_success(connection, event): state["sasl"] = True
        def on_login_failed(connection, event): fail("SASL failed: %s" % event.arguments)
        def on_welcome(connection, event):
            state["nick"] = event.target
            connection.join("#shared")
        def on_join(connection, event):
            if event.source.nick == connection.get_nickname() and event.target == "#shared":
                chat.sendall(b"SAY hello from chat1\\n")
        def on_pubmsg(connection, event):
            if event.target == "#shared" and event.source.nick == "bob" and event.arguments[0] == "hello from chat1":
                state["user"] = event.source.user
                connection.privmsg("#shared", "hello from irc")
                state["sent"] = True

        reactor.add_global_handler("saslsuccess", on_sasl_success)
        reactor.add_global_handler("login_failed", on_login_failed)
        reactor.add_global_handler("welcome", on_welcome)
        reactor.add_global_handler("join", on_join)
        reactor.add_global_handler("pubmsg", on_pubmsg)
        connection = reactor.server().connect(host, int(irc_port), "somebot", connect_factory=factory,
                                              sasl_login="unused", password="unused")
        while not state.get("sent"):
            if time.monotonic() > deadline:
                fail("timed out; state %s" % state)
            reactor.process_once(0.1)
        line = chat_wait("MSG #shared ")
        print("PASS sasl=%s nick=%s bob-user=%s chat1-saw=%r" % (state.get("sasl"), state.get("nick"), state.get("user"), line), flush=True)
        connection.quit("done")
        """
}
