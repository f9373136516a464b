// ClientInteractiveTests: tlschat in tmux against the real tlschatd, as a
// person uses it: a paste of 80 lines into a server with a tight command
// rate is confirmed, then paced (the prompt counts the queue) so another
// user receives every line, in order, and nothing is rate-limited; Ctrl-C on
// a half-typed line clears it (Up brings it back) and quits only on an empty
// line, with the terminal restored; a narrower window leaves one clean input
// line. Every wait polls a condition against a deadline; no fixed sleeps.
import Foundation
import Testing

@Suite("tlschat interactive, in tmux", .serialized)
struct ClientInteractiveTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    /// Starts tlschat as `user` in `tmux`; the shell then says how it exited and whether the terminal was restored.
    func startClient(_ tmux: Tmux, _ server: ServerProcess, as user: String) throws {
        let command = [client, "127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"),
                       "--cert", pki.cert(user), "--key", pki.key(user)].map { "'\($0)'" }.joined(separator: " ")
        try tmux.start("saved=$(stty -g); \(command); status=$?; [ \"$(stty -g)\" = \"$saved\" ] && r=restored || r=NOT-restored; echo \"EXITED $status $r\"; sleep 60")
    }

    @Test("80 pasted lines under --command-burst 5: confirmed, paced, all received by another user in order, none rate-limited")
    func pasteIsPacedAndNothingIsLost() throws {
        let server = try ServerProcess(["--command-burst", "5", "--commands-per-second", "20"])
        defer { server.stop() }
        let bob = try ChildProcess(client, ["127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"),
                                            "--cert", pki.cert("bob"), "--key", pki.key("bob")])
        defer { bob.stop(signal: SIGKILL) }
        bob.send("/ping ready\n")
        #expect(bob.waitForOutput("OK PING ready"), "bob: \(bob.stdout.text) \(bob.stderr.text)")
        let tmux = Tmux()
        defer { tmux.kill() }
        try startClient(tmux, server, as: "alice")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")

        let lines = (1...80).map { "pasted line \($0)" }
        tmux.paste(lines.joined(separator: "\n") + "\n")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "paste 80 lines? (y/n)" }, "\(tmux.screen())")
        #expect(!bob.stdout.text.contains("pasted line"), "nothing is sent before the answer")
        tmux.keys(literal: "y")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine.hasSuffix("queued) alice@#lobby>") }, "the prompt counts the queue: \(tmux.screen())")
        #expect(bob.waitForOutput("MSG #lobby alice cert pasted line 80", timeout: 30), "\(tmux.screen())")
        let received = bob.stdout.text.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("MSG #lobby alice cert ") ? String(line.dropFirst("MSG #lobby alice cert ".count)) : nil
        }
        #expect(received == lines)
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        #expect(!tmux.screen().contains("RATE_LIMITED"), "\(tmux.screen())")
        tmux.keys(literal: "/quit")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("EXITED 0 restored") }, "\(tmux.screen())")
    }

    @Test("Ctrl-C on a half-typed line clears it (Up brings it back); on an empty line it quits and restores the terminal")
    func interruptClearsTheLine() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let tmux = Tmux()
        defer { tmux.kill() }
        try startClient(tmux, server, as: "alice")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys(literal: "half typed")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby> half typed" }, "\(tmux.screen())")
        tmux.keys("C-c")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys("Up")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby> half typed" }, "\(tmux.screen())")
        #expect(!tmux.screen().contains("EXITED"))
        tmux.keys("C-u")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        tmux.keys("C-c")
        #expect(tmux.waitForScreen { $0.contains("EXITED 0 restored") }, "\(tmux.screen())")
    }

    @Test("a window made narrower than the typed line: one clean input line, no rewrapped leftovers")
    func resizeLeavesOneInputLine() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let tmux = Tmux()
        defer { tmux.kill() }
        try startClient(tmux, server, as: "alice")
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby>" }, "\(tmux.screen())")
        let typed = (1...9).map { "word\($0)" }.joined(separator: " ") + " and more"  // fits 100 columns, not 40
        tmux.keys(literal: typed)
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine == "alice@#lobby> " + typed }, "\(tmux.screen())")
        tmux.resize(columns: 40)
        #expect(tmux.waitForScreen { $0.lastNonEmptyLine.hasPrefix("alice@#lobby> ") && $0.lastNonEmptyLine.hasSuffix("and more") },
                "\(tmux.screen())")
        let screen = tmux.screen()
        #expect(screen.components(separatedBy: "alice@#lobby>").count == 2, "exactly one prompt: \(screen)")
        #expect(!screen.contains("word1 word2"), "the old line's rewrapped rows are gone: \(screen)")
        tmux.keys("Enter")
        #expect(tmux.waitForScreen { $0.contains("<alice✔> word1 word2") }, "the whole line was sent: \(tmux.screen())")
    }
}

extension Tmux {
    private func control(_ arguments: [String]) {
        _ = Subprocess.run("/usr/bin/env", ["LANG=C.UTF-8", "LC_ALL=C.UTF-8", "tmux", "-u", "-L", name] + arguments, timeout: 10)
    }

    /// Pastes `text` as a terminal paste does: all of it in one write to the client's terminal.
    func paste(_ text: String) {
        control(["set-buffer", "-b", name, "--", text])
        control(["paste-buffer", "-d", "-r", "-b", name, "-t", name])
    }

    /// Resizes the window, as a person dragging its edge (the client gets SIGWINCH).
    func resize(columns: Int) {
        control(["resize-window", "-t", name, "-x", "\(columns)"])
    }
}
