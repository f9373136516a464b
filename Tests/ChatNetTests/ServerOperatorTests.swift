// ServerOperatorTests: tlschatd as an operator meets it (issue 11): files that
// would fail every handshake are refused at start with one clear line, a CRL
// in the client-CA file is reported, SIGHUP is logged and survived, every
// executable answers --version, and the log names the real reason a
// connection ended, logs renames, and quotes certificate subjects so a
// CA-signed subject cannot forge log fields. Loopback only.
import ChatCore
import Foundation
import Testing

@Suite("tlschatd for operators", .serialized)
struct ServerOperatorTests {
    let pki = TestPKI.shared

    @Test("files that would fail every handshake are refused at start, naming the file and the fix", arguments: [
        "ca-as-cert", "client-only-cert", "expired-cert", "leaf-as-client-ca", "require-without-ca",
    ])
    func refusedAtStart(_ which: String) {
        var cert = "server", clientCA: [String] = []
        var extra: [String] = []
        let expected: String
        switch which {
        case "ca-as-cert":
            cert = "ca"
            expected = "checking server certificate \(pki.cert("ca")): it is a CA certificate"
        case "client-only-cert":
            cert = "clientonly-server"
            expected = "it has no serverAuth extended key usage"
        case "expired-cert":
            cert = "expired-server"
            expected = "it expired on 2021-01-01"
        case "leaf-as-client-ca":
            clientCA = ["--client-ca", pki.cert("alice")]
            expected = "checking client CA file \(pki.cert("alice")): subject /CN=alice is not a CA certificate"
        default:
            extra = ["--client-auth", "require"]
            expected = "--client-auth require needs --client-ca FILE"
        }
        let result = Subprocess.run(RepoPaths.executable("tlschatd"),
                                    ["--cert", pki.cert(cert), "--key", pki.key(cert), "--listen", "127.0.0.1:0", "--history", "none"] + clientCA + extra,
                                    timeout: 20)
        #expect(result.status != 0)
        #expect(result.output.contains(expected), "output: \(result.output)")
        #expect(!result.output.contains("listening"))
    }

    @Test("a CRL appended to the client-CA file is reported as not checked")
    func crlInCAFileIsReported() throws {
        let withCRL = try ServerProcess(["--client-ca", pki.path("ca-with-crl.pem")], clientCA: false)
        defer { withCRL.stop() }
        #expect(withCRL.log.contains("ca-with-crl.pem holds 1 CRL(s) that tlschatd does not check"), "log: \(withCRL.log)")
    }

    // Started as a shell starts it (no signal blocked), with history on: a signal the kernel
    // gave to the history checkpoint thread used to end the server (SIGHUP, and SIGTERM
    // without the clean shutdown that `stop` checks for).
    @Test("SIGHUP is logged and survived: clients stay connected and are not told to leave; SIGTERM still ends it cleanly")
    func sighupIsSurvived() throws {
        let server = try ServerProcess(launcher: ServerProcess.withSignalsUnblocked)
        defer { server.stop() }
        let client = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                  "-verify_return_error", "-quiet"])
        defer { _ = client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1"))
        kill(server.child.pid, SIGHUP)
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("received SIGHUP") }, "log: \(server.log)")
        client.send("PING after-hup\n")
        #expect(client.waitForOutput("OK PING after-hup"))
        #expect(server.child.isRunning)
        #expect(!client.stdout.text.contains("NOTICE shutdown"))
    }

    @Test("every executable prints its version", arguments: ["tlschatd", "tlschat", "tlschat-bench"])
    func version(_ executable: String) {
        let result = Subprocess.run(RepoPaths.executable(executable), ["--version"], timeout: 20)
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == TLSChatVersion.string)
    }

    @Test("the log gives the real reason each connection ended, and logs renames")
    func disconnectReasons() throws {
        let server = try ServerProcess([
            "--plain-listen", "127.0.0.1:0", "--first-command-timeout", "1", "--idle-timeout", "1", "--ping-grace", "1",
            "--max-queue", "4096", "--command-burst", "100000", "--commands-per-second", "100000"])
        let plainPort = try #require(server.plainPort)
        let scenarios = try ChildProcess("python3", [
            RepoPaths.root + "/Tests/Fixtures/disconnect_scenarios.py", "127.0.0.1", "\(plainPort)", "\(server.port)",
            pki.cert("ca"), pki.cert("alice"), pki.key("alice")])
        defer { _ = scenarios.stop(signal: SIGKILL) }
        #expect(scenarios.waitForOutput("done\n", timeout: 60), "scenarios: \(scenarios.stdout.text) \(scenarios.stderr.text)")
        let ports = Dictionary(uniqueKeysWithValues: scenarios.stdout.text.split(separator: "\n").compactMap { line -> (String, String)? in
            let words = line.split(separator: " ")
            return words.count == 2 ? (String(words[0]), String(words[1])) : nil
        })
        server.stop()
        let lines = server.log.split(separator: "\n")
        for (scenario, port) in ports {
            let reason = scenario == "slow-reader" ? "slow-reader" : scenario
            let line = lines.first { $0.contains("disconnected") && $0.contains("peer=127.0.0.1:\(port) ") }
            #expect(line?.contains("reason=\(reason)") == true, "\(scenario): \(line.map(String.init) ?? "no disconnect line")")
        }
        #expect(ports.count == 7, "scenarios: \(scenarios.stdout.text) \(scenarios.stderr.text)")
        #expect(lines.contains { $0.contains("renamed") && $0.contains("new=~renamed-one") && $0.contains("old=~guest") })
    }

    @Test("a client flooding far above its rate is refused 256 times, then closed with NOTICE flood and reason=rate-limit")
    func floodingClientIsClosed() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0", "--command-burst", "5", "--commands-per-second", "1"])
        let plainPort = try #require(server.plainPort)
        let flood = Subprocess.run("python3", ["-c", """
            import socket
            s = socket.create_connection(("127.0.0.1", \(plainPort)), timeout=20)
            s.sendall(b"PING x\\n" * 400)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk: break
                data += chunk
            print(data.count(b"ERR RATE_LIMITED"), data.count(b"NOTICE flood"), s.getsockname()[1])
            """], timeout: 30)
        let words = flood.output.split(whereSeparator: \.isWhitespace)
        try #require(words.count == 3, "client: \(flood.output)")
        #expect((256...280).contains(Int(words[0]) ?? 0), "a paste-sized burst is only refused, never closed: \(flood.output)")
        #expect(words[1] == "1", "client: \(flood.output)")
        server.stop()
        let line = server.log.split(separator: "\n").first { $0.contains("disconnected") && $0.contains("peer=127.0.0.1:\(words[2]) ") }
        #expect(line?.contains("reason=rate-limit") == true, "\(line.map(String.init) ?? server.log)")
    }

    @Test("a certificate subject cannot forge log fields: it is quoted and escaped")
    func subjectsAreQuoted() throws {
        let server = try ServerProcess()
        let result = Subprocess.run("/bin/sh", ["-c", """
            printf 'BYE\\n' | openssl s_client -connect 127.0.0.1:\(server.port) -CAfile \(pki.cert("ca")) -verify_return_error \
            -cert \(pki.cert("log-injector")) -key \(pki.key("log-injector")) -quiet
            """], timeout: 20)
        #expect(result.output.contains("OK BYE"), "client: \(result.output)")
        server.stop()
        let connected = try #require(server.log.split(separator: "\n").first { $0.contains("connected") && $0.contains("certificate=") })
        #expect(connected.contains(#"certificate="/CN=x\" reason=forged name=root \\/O=Evil" sha256:"#), "\(connected)")
    }
}
