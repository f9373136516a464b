// ChatServiceTests: the real tlschatd serving chat/1, driven by peers we did
// not write: Python's socket/ssl modules (Tests/Fixtures/chat_scenarios.py)
// and openssl s_client; plus the plaintext listener's safety rules.
import Foundation
import Testing

@Suite("chat/1 service", .serialized)
struct ChatServiceTests {
    let pki = TestPKI.shared

    /// Starts a server with TLS and a loopback plaintext listener; returns it and the plain port.
    func startServer(_ extra: [String] = []) throws -> (ServerProcess, Int) {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"] + extra)
        var plainPort: Int?
        ChildProcess.waitUntil(timeout: 10) {
            plainPort = server.child.stdout.text.split(separator: "\n").compactMap { line -> Int? in
                let words = line.split(separator: " ")
                return words.count == 4 && words[1] == "plain" ? Int(words[3]) : nil
            }.first
            return plainPort != nil
        }
        guard let plainPort else { throw TestFailure("no plain listener line: \(server.child.stdout.text)") }
        return (server, plainPort)
    }

    @Test("Python peers: scenario passes", arguments: ["broadcast", "identity", "selfsigned_alice", "hostile_certificates", "plain_mixed", "framing"])
    func pythonScenario(_ scenario: String) throws {
        let (server, plainPort) = try startServer(["--command-burst", "1000"])  // pipelining, not the rate, is tested here
        defer { server.stop() }
        let result = Subprocess.run("python3", [RepoPaths.root + "/Tests/Fixtures/chat_scenarios.py", scenario,
                                                String(server.port), String(plainPort), pki.directory], timeout: 60)
        #expect(result.status == 0, "\(result.output)\n--- server log ---\n\(server.log)")
        #expect(result.output.contains("PASSED \(scenario)"))
        #expect(!server.log.contains("from plain"), "message contents must never be logged")
    }

    @Test("limits and timeouts: Python peers see them enforced", arguments: [
        "rate_limit|--command-burst 5 --commands-per-second 1",
        "idle|--idle-timeout 1 --ping-grace 1",
        "first_command|--first-command-timeout 1",
        "per_address|--max-clients-per-address 3",
        "multi_session|--sessions-per-user 2",
        "cert_only_rooms|--cert-only-room #staff",
    ])
    func limitScenario(_ caseText: String) throws {
        let parts = caseText.split(separator: "|").map(String.init)
        let (server, plainPort) = try startServer(parts[1].split(separator: " ").map(String.init))
        defer { server.stop() }
        let result = Subprocess.run("python3", [RepoPaths.root + "/Tests/Fixtures/chat_scenarios.py", parts[0],
                                                String(server.port), String(plainPort), pki.directory], timeout: 60)
        #expect(result.status == 0, "\(result.output)\n--- server log ---\n\(server.log)")
        #expect(result.output.contains("PASSED \(parts[0])"))
    }

    @Test("attacks: while a hostile client does its worst, alice's messages all reach bob, in order", arguments: [
        "slowloris|--handshake-timeout 2",
        "endless_line|",
        "trickle|",
        "slow_reader|--command-burst 9000 --commands-per-second 9000",
        "message_flood|",
        "garbage_after_handshake|",
        "plaintext_to_tls|",
        "tls_to_plain|",
        "connection_flood|--max-clients-per-address 20",
        "kill9|",
    ])
    func attack(_ caseText: String) throws {
        let parts = caseText.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        let extra = parts[1].split(separator: " ").map(String.init)
        let (server, plainPort) = try startServer(["--max-clients-per-address", "1000"] + extra)
        defer { server.stop() }
        let result = Subprocess.run("python3", [RepoPaths.root + "/Tests/Fixtures/attacks.py", parts[0],
                                                String(server.port), String(plainPort), pki.directory], timeout: 90)
        #expect(result.status == 0, "\(result.output)\n--- server log (tail) ---\n\(server.log.suffix(3000))")
        #expect(result.output.contains("PASSED \(parts[0])"))
    }

    @Test("out of descriptors (ulimit -n 64): no spinning, a log line, and recovery")
    func descriptorExhaustion() throws {
        let pki = TestPKI.shared
        let command = "ulimit -n 64 && exec \(RepoPaths.executable("tlschatd")) --cert \(pki.cert("server")) --key \(pki.key("server"))"
            + " --client-ca \(pki.cert("ca")) --listen 127.0.0.1:0 --plain-listen 127.0.0.1:0 --history none"
        let server = try ChildProcess("/bin/bash", ["-c", command])
        defer { server.stop() }
        var ports: [String: String] = [:]
        #expect(ChildProcess.waitUntil(timeout: 20) {
            for line in server.stdout.text.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count == 4 { ports[String(words[1])] = String(words[3]) }
            }
            return ports.count == 2
        })
        let result = Subprocess.run("python3", [RepoPaths.root + "/Tests/Fixtures/attacks.py", "fd_exhaustion",
                                                ports["tls"] ?? "0", ports["plain"] ?? "0", pki.directory, String(server.pid)], timeout: 90)
        #expect(result.status == 0, "\(result.output)\n--- server log (tail) ---\n\(server.stderr.text.suffix(3000))")
        #expect(result.output.contains("PASSED fd_exhaustion"))
        let pausedLines = server.stderr.text.components(separatedBy: "accept failed, pausing briefly").count - 1
        #expect(pausedLines >= 1 && pausedLines <= 5, "expected the pause logged once per episode, saw \(pausedLines)")
    }

    @Test("a plain-socket peer and a Python ssl peer chat with a tlschat client in one room")
    func mixedRoomWithOurClient() throws {
        let (server, plainPort) = try startServer()
        defer { server.stop() }
        let alice = try ChildProcess(RepoPaths.executable("tlschat"), [
            "127.0.0.1", "--port", String(server.port), "--ca", pki.cert("ca"),
            "--cert", pki.cert("alice"), "--key", pki.key("alice")])
        defer { alice.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1 tlschatd tls alice cert #lobby"), "tlschat: \(alice.stdout.text) \(alice.stderr.text)")
        let python = try ChildProcess("python3", [RepoPaths.root + "/Tests/Fixtures/chat_scenarios.py", "with_tlschat",
                                                  String(server.port), String(plainPort), pki.directory])
        defer { python.stop(signal: SIGKILL) }
        // Both peers' messages reach our client, each marked with its trust level.
        #expect(ChildProcess.waitUntil(timeout: 20) {
            alice.stdout.text.contains(" plain hello from plain\n") && alice.stdout.text.contains("MSG #lobby bob cert hello from bob\n")
        }, "tlschat saw: \(alice.stdout.text)")
        #expect(alice.stdout.text.contains("MSG #lobby ~guest"))
        alice.send("hello from tlschat\n")
        #expect(python.waitForExit(timeout: 30) == 0, "python: \(python.stdout.text) \(python.stderr.text)")
        #expect(python.stdout.text.contains("PASSED with_tlschat"))
        alice.closeInput()
        #expect(alice.waitForExit(timeout: 20) == 0, "tlschat: \(alice.stdout.text) \(alice.stderr.text)")
        #expect(alice.stdout.text.contains("OK SAY #lobby sent 2/2\n"))
    }

    @Test("a long tlschat script is paced below the server's rate limit and fully succeeds")
    func longScriptIsPaced() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let script = (1...60).map { "/ping \($0)\n" }.joined()
        let result = Subprocess.run(RepoPaths.executable("tlschat"), [
            "127.0.0.1", "--port", String(server.port), "--ca", pki.cert("ca")], input: script, timeout: 60)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.components(separatedBy: "OK PING ").count == 61)
        #expect(!result.output.contains("RATE_LIMITED"))
    }

    @Test("tlschat answers the server's idle PING and stays connected")
    func clientAnswersIdlePing() throws {
        let (server, _) = try startServer(["--idle-timeout", "1", "--ping-grace", "1"])
        defer { server.stop() }
        let client = try ChildProcess(RepoPaths.executable("tlschat"), [
            "127.0.0.1", "--port", String(server.port), "--ca", pki.cert("ca"), "--cert", pki.cert("bob"), "--key", pki.key("bob")])
        defer { client.stop(signal: SIGKILL) }
        client.send("/ping first\n")
        // Two answered keep-alives means it outlived a whole grace period of silence.
        #expect(ChildProcess.waitUntil(timeout: 20) {
            client.stdout.text.components(separatedBy: "OK PING idle-").count >= 3
        }, "tlschat saw: \(client.stdout.text) \(client.stderr.text)")
        #expect(!client.stdout.text.contains("NOTICE idle"))
        client.send("/ping done\n")
        #expect(client.waitForOutput("OK PING done\n"))
        client.closeInput()
        #expect(client.waitForExit(timeout: 20) == 0)
    }

    @Test("openssl s_client drives a short session")
    func opensslSession() throws {
        let (server, _) = try startServer()
        defer { server.stop() }
        let client = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                  "-verify_return_error", "-quiet", "-cert", pki.cert("alice"), "-key", pki.key("alice")])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1 tlschatd tls alice cert #lobby\n"))
        client.send("join #ops\nsay hi\nwho\nbye\n")
        #expect(client.waitForOutput("OK BYE\n"), "s_client saw: \(client.stdout.text)")
        #expect(client.stdout.text.contains("OK JOIN #ops 1\nOK SAY #ops sent 0/0\nOK WHO #ops 1 alice:cert\nOK BYE\n"))
        #expect(client.waitForExit() != nil, "the server closes after BYE")
    }

    @Test("the plaintext listener refuses a public address unless explicitly allowed")
    func plaintextNeedsOverride() throws {
        let arguments = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0",
                         "--plain-listen", "0.0.0.0:0", "--history", "none"]
        let refused = Subprocess.run(RepoPaths.executable("tlschatd"), arguments, timeout: 20)
        #expect(refused.status != 0)
        #expect(refused.output.contains("refusing plaintext listener on non-loopback 0.0.0.0:0"), "\(refused.output)")
        let allowed = try ServerProcess(["--plain-listen", "0.0.0.0:0", "--allow-public-plaintext"])
        defer { allowed.stop() }
        #expect(ChildProcess.waitUntil(timeout: 10) { allowed.child.stdout.text.contains("listening plain 0.0.0.0 ") })
        #expect(ChildProcess.waitUntil(timeout: 10) { allowed.log.contains("PLAINTEXT listener") })
    }
}
