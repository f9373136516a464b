// ConformanceKitTests: the chat/1 conformance kits of Tests/Conformance run in
// CI. tlschatd (port 0, TLS and a plaintext loopback listener, some limits
// lowered through their options so the limit checks stay small) must pass the
// server kit over TLS and over plaintext, and its timeout checks against a
// server with one-second timeouts; our client `tlschat` in scripted mode must
// pass the fake server's checks, and refuse a server certificate it cannot
// verify without ever retrying in plaintext. Every check line of a failed run
// is in the failure message. Loopback only; processes are ended by PID.
import Foundation
import Testing

@Suite("chat/1 conformance kits", .serialized)
struct ConformanceKitTests {
    let pki = TestPKI.shared
    static let kit = RepoPaths.root + "/Tests/Conformance/chat1_conformance.py"
    static let fake = RepoPaths.root + "/Tests/Conformance/chat1_fake_server.py"
    /// Limits lowered on the server and told to the kit (defaults need ~70 connections for 1000 rooms).
    static let limits = ["--max-rooms-per-client", "6", "--max-rooms", "30", "--max-list-items", "8",
                         "--max-name-length", "20", "--max-room-name-length", "24"]

    private func runKit(port: Int, plain: Bool, extra: [String] = []) -> Subprocess.Result {
        var arguments = [Self.kit, "--port", "\(port)", "--ca", pki.cert("ca"), "--server-name", "localhost",
                         "--cert", pki.cert("alice"), "--key", pki.key("alice")] + Self.limits + extra
        if plain {
            arguments.append("--plain")
        } else {
            arguments += ["--cert2", pki.cert("bob"), "--key2", pki.key("bob"),
                          "--bad-cert", pki.cert("stranger"), pki.key("stranger"),
                          "--noeku-cert", pki.cert("noeku-client"), pki.key("noeku-client"),
                          "--unnamed-cert", pki.cert("two-cn"), pki.key("two-cn")]
        }
        return Subprocess.run("python3", arguments, timeout: 240)
    }

    private func failures(_ output: String) -> String {
        output.split(separator: "\n").filter { $0.hasPrefix("FAIL") || !$0.hasPrefix("PASS") && !$0.hasPrefix("SKIP") }
            .joined(separator: "\n")
    }

    @Test("tlschatd passes the server kit over TLS and over its plaintext listener")
    func serverPassesOverTLSAndPlaintext() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"] + Self.limits)
        defer { server.stop() }
        let plainPort = try #require(server.plainPort)
        for (port, plain) in [(server.port, false), (plainPort, true)] {
            let result = runKit(port: port, plain: plain)
            #expect(result.status == 0, "kit over \(plain ? "plaintext" : "TLS") exited \(result.status):\n\(failures(result.output))")
            #expect(result.output.contains(" 0 failed"), "\(result.output.suffix(3000))")
            #expect(!result.output.contains("\nFAIL"))
            // What a full run must reach, so a kit that silently skips everything cannot pass.
            let passed = result.output.split(separator: "\n").filter { $0.hasPrefix("PASS") }.count
            #expect(passed >= (plain ? 40 : 45), "only \(passed) checks passed:\n\(result.output)")
        }
    }

    @Test("tlschatd passes the kit's timeout checks (first command, idle PING) with one-second timeouts")
    func serverPassesTimeoutChecks() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0", "--first-command-timeout", "1", "--idle-timeout", "1",
                                        "--ping-grace", "1", "--history", "none"])
        defer { server.stop() }
        let plainPort = try #require(server.plainPort)
        let result = Subprocess.run("python3", [Self.kit, "--port", "\(plainPort)", "--plain", "--only", "timeouts",
                                                "--first-command-timeout", "1", "--idle-timeout", "1", "--ping-grace", "1"], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("2 passed, 0 failed"), "\(result.output)")
    }

    private func startFake(_ arguments: [String]) throws -> (ChildProcess, Int) {
        let fake = try ChildProcess("python3", [Self.fake] + arguments)
        #expect(fake.waitForOutput("listening "), "fake server: \(fake.stdout.text) \(fake.stderr.text)")
        let port = fake.stdout.text.split(separator: "\n").compactMap { line -> Int? in
            line.hasPrefix("listening ") ? Int(line.dropFirst("listening ".count)) : nil
        }.first
        return (fake, try #require(port))
    }

    @Test("tlschat (scripted) passes the fake server's client checks over TLS")
    func clientPassesFakeServer() throws {
        let (fake, port) = try startFake(["--cert", pki.cert("server"), "--key", pki.key("server"), "--scenario", "chat"])
        defer { fake.stop(signal: SIGKILL) }
        let client = Subprocess.run(RepoPaths.executable("tlschat"), ["127.0.0.1:\(port)", "--ca", pki.cert("ca"), "--server-name", "localhost"],
                                    input: "hello there\n/join #Dev\n/who\n/ping tok\n", timeout: 60)
        #expect(client.status == 0, "tlschat: \(client.output)")
        let status = fake.waitForExit(timeout: 30)
        #expect(status == 0, "fake server:\n\(fake.stdout.text)\n\(fake.stderr.text)")
        #expect(fake.stdout.text.contains("8 passed, 0 failed"), "\(fake.stdout.text)")
    }

    @Test("tlschat refuses a server certificate it cannot verify and never retries in plaintext")
    func clientRefusesUntrustedServer() throws {
        let (fake, port) = try startFake(["--cert", pki.cert("wronghost-server"), "--key", pki.key("wronghost-server"), "--scenario", "untrusted"])
        defer { fake.stop(signal: SIGKILL) }
        let client = Subprocess.run(RepoPaths.executable("tlschat"), ["127.0.0.1:\(port)", "--ca", pki.cert("ca")], input: "hello\n", timeout: 60)
        #expect(client.status == 3, "tlschat: \(client.output)")
        #expect(fake.waitForExit(timeout: 30) == 0, "fake server:\n\(fake.stdout.text)\n\(fake.stderr.text)")
        #expect(fake.stdout.text.contains("3 passed, 0 failed"), "\(fake.stdout.text)")
    }
}
