// ClientHistoryTmuxTests: tlschat's history in tmux against real tlschatd
// servers that keep history, as a person sees it: joining a room shows what
// was said there before (marked ·history·, before "now in"), and /history
// then says there is no more; after a server restart on the same port and
// database, `--reconnect` shows exactly the messages stored while it was
// away, once each, marked ·missed·, and says how many. The messages "while
// away" are posted through a server on another port with the same database,
// so the client cannot be back before them (deterministic, no race). Every
// wait polls the screen against a deadline; no fixed sleeps.
import Foundation
import Testing

@Suite("tlschat history, in tmux", .serialized)
struct ClientHistoryTmuxTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    /// Runs a scripted tlschat as bob on `port`; fails the test unless every line got OK.
    func bobSays(_ script: String, port: Int) {
        let bob = Subprocess.run(client, ["127.0.0.1", "--port", "\(port)", "--ca", pki.cert("ca"), "--cert", pki.cert("bob"),
                                          "--key", pki.key("bob")], input: script, timeout: 30)
        #expect(bob.status == 0, "\(bob.output)")
    }

    func startAlice(_ tmux: Tmux, port: Int, _ extra: [String] = []) throws {
        let command = ([client, "127.0.0.1", "--port", "\(port)", "--ca", pki.cert("ca"),
                        "--cert", pki.cert("alice"), "--key", pki.key("alice")] + extra).map { "'\($0)'" }.joined(separator: " ")
        try tmux.start("\(command); echo \"EXITED $?\"; sleep 60")
    }

    func occurrences(_ text: String, in screen: String) -> Int { screen.components(separatedBy: text).count - 1 }

    @Test("joining a room shows its earlier messages as history, before 'now in'; /history then says there is no more")
    func historyOnJoin() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        bobSays("/join #dev\nfirst from bob\nsecond from bob, hi alice\nthird from bob\n", port: server.port)
        let tmux = Tmux()
        defer { tmux.kill() }
        try startAlice(tmux, port: server.port)
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys(literal: "/join #dev")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#dev>" && $0.contains("now in #dev") }, "\(tmux.screen())")
        let screen = tmux.screen()
        let lines = screen.split(separator: "\n").map(String.init)
        let shown = ["first from bob", "second from bob, hi alice", "third from bob"].map { text in
            lines.firstIndex { $0.contains("·history· #dev <bob✔> \(text)") }
        }
        #expect(shown.allSatisfy { $0 != nil }, "\(screen)")
        let joined = lines.firstIndex { $0.contains("now in #dev") }
        #expect(shown.compactMap { $0 } == shown.compactMap { $0 }.sorted() && (shown.last ?? nil).map { $0 < joined! } == true,
                "oldest first, before the join's reply: \(screen)")
        tmux.keys(literal: "/history")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("(no more history)") }, "\(tmux.screen())")
        #expect(occurrences("first from bob", in: tmux.screen()) == 1, "\(tmux.screen())")
    }

    @Test("--reconnect after a restart on the same port and database: exactly the 2 messages stored meanwhile, once, marked ·missed·")
    func catchUpAfterRestart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-catchup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = ["--history", directory + "/history.sqlite"]
        var server = try ServerProcess(database)
        let port = server.port
        let tmux = Tmux()
        defer { tmux.kill() }
        try startAlice(tmux, port: port, ["--reconnect"])
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys(literal: "/join #dev")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#dev>" }, "\(tmux.screen())")
        bobSays("/join #dev\nbefore the restart\n", port: port)
        #expect(tmux.waitForScreen { $0.contains("#dev <bob✔> before the restart") }, "shown live: \(tmux.screen())")

        server.stop()  // SIGTERM: NOTICE shutdown; alice retries, and is refused until the server is back on `port`
        #expect(tmux.waitForScreen { $0.contains("reconnecting in") && $0.lastNonEmptyLine == "connecting>" }, "\(tmux.screen())")
        let meanwhile = try ServerProcess(database)  // another port: alice cannot be back before bob has spoken
        bobSays("/join #dev\nmissed one\nmissed two\n", port: meanwhile.port)
        meanwhile.stop()
        server = try ServerProcess(database, listenPort: port)
        defer { server.stop() }
        #expect(tmux.waitForScreen { $0.contains("#dev: caught up: 2 messages missed while disconnected") && $0.lastNonEmptyLine == "alice@#dev>" },
                "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(occurrences("·missed· #dev <bob✔> missed one", in: screen) == 1, "\(screen)")
        #expect(occurrences("·missed· #dev <bob✔> missed two", in: screen) == 1, "\(screen)")
        #expect(occurrences("missed one", in: screen) == 1 && occurrences("before the restart", in: screen) == 1,
                "nothing shown twice: \(screen)")
        bobSays("/join #dev\nlive again\n", port: port)
        #expect(tmux.waitForScreen { $0.contains("#dev <bob✔> live again") }, "\(tmux.screen())")
        #expect(!tmux.screen().contains("·missed· #dev <bob✔> live again"))
    }
}
