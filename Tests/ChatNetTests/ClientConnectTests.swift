// ClientConnectTests: the real tlschat binary meeting connection mistakes,
// against real servers on loopback: a --cert the server never asked for is
// pointed out (anonymous), HOST:PORT and [::1]:PORT work like --port (and a
// different --port is refused), --plain on a TLS port says so within 3 s
// instead of waiting 10 s for a greeting, a TLS client meeting a plaintext
// greeting says the port speaks plaintext chat/1, a wrong host name lists
// the names the certificate covers, and --server-name verifies another name
// than the one connected to. Every wait has a deadline; no fixed sleeps.
import Foundation
import Testing

@Suite("tlschat connecting", .serialized)
struct ClientConnectTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    func chat(_ arguments: [String], script: String = "/whoami\n", timeout: TimeInterval = 30) -> Subprocess.Result {
        Subprocess.run(client, arguments, input: script, timeout: timeout)
    }

    var alice: [String] { ["--ca", pki.cert("ca"), "--cert", pki.cert("alice"), "--key", pki.key("alice")] }

    @Test("--cert to a server without a client CA: warned that the certificate was not sent; with a client CA: no warning")
    func certificateNotRequested() throws {
        let anonymous = try ServerProcess(clientCA: false)
        defer { anonymous.stop() }
        let result = chat(["127.0.0.1:\(anonymous.port)"] + alice)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("warning: the server did not ask for a client certificate, so --cert was not sent: you are anonymous"),
                "\(result.output)")
        #expect(result.output.contains("OK WHOAMI ~guest"))
        let checking = try ServerProcess()
        defer { checking.stop() }
        let signedIn = chat(["127.0.0.1:\(checking.port)"] + alice)
        #expect(signedIn.output.contains("OK WHOAMI alice cert"), "\(signedIn.output)")
        #expect(!signedIn.output.contains("did not ask for a client certificate"), "\(signedIn.output)")
    }

    @Test("HOST:PORT and [::1]:PORT work like --port; a different --port is refused naming both")
    func hostColonPort() throws {
        let server = try ServerProcess(["--listen", "[::1]:0"])
        defer { server.stop() }
        let port6 = server.listeningPort(transport: "tls", host: "::1")
        let v4 = chat(["127.0.0.1:\(server.port)", "--ca", pki.cert("ca")])
        #expect(v4.status == 0 && v4.output.contains("OK WHOAMI ~guest"), "\(v4.output)")
        let v6 = chat(["[::1]:\(try #require(port6))", "--ca", pki.cert("ca")])
        #expect(v6.status == 0 && v6.output.contains("OK WHOAMI ~guest"), "\(v6.output)")
        let same = chat(["127.0.0.1:\(server.port)", "--port", "\(server.port)", "--ca", pki.cert("ca")])
        #expect(same.status == 0, "\(same.output)")
        let conflict = chat(["127.0.0.1:\(server.port)", "--port", "1", "--ca", pki.cert("ca")])
        #expect(conflict.status == 64, "\(conflict.output)")
        #expect(conflict.output.contains("'127.0.0.1:\(server.port)' says \(server.port) but --port says 1"), "\(conflict.output)")
    }

    @Test("--plain against the TLS port: 'this port speaks TLS; drop --plain' within 3 s, exit 3")
    func plainOnTLSPort() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let started = Date()
        let result = chat(["127.0.0.1:\(server.port)", "--plain"], timeout: 15)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("this port speaks TLS; drop --plain"), "\(result.output)")
        #expect(seconds < 3, "took \(seconds) s")
    }

    @Test("--plain against the plaintext port still chats (a slow greeting is not mistaken for TLS)")
    func plainOnPlainPort() throws {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let port = try #require(server.plainPort)
        let result = chat(["127.0.0.1:\(port)", "--plain"])
        #expect(result.status == 0 && result.output.contains("OK WHOAMI ~guest"), "\(result.output)")
        #expect(!result.output.contains("speaks TLS"))
    }

    @Test("a TLS client meeting a plaintext chat/1 greeting says the port speaks plaintext chat/1, and never falls back")
    func tlsOnPlaintextGreeting() throws {
        // A chat/1 server that greets at once (not tlschatd, which waits 100 ms and hangs up on TLS).
        let script = """
            import socket, sys
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
            print(s.getsockname()[1], flush=True)
            c, _ = s.accept(); c.sendall(b"HELLO chat/1 other plain ~guest1 plain #lobby\\n")
            c.recv(4096); c.close()
            """
        let fake = try ChildProcess("python3", ["-c", script])
        defer { fake.stop(signal: SIGKILL) }
        #expect(ChildProcess.waitUntil(timeout: 10) { Int(fake.stdout.text.trimmingCharacters(in: .whitespacesAndNewlines)) != nil })
        let port = try #require(Int(fake.stdout.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        let result = chat(["127.0.0.1:\(port)", "--ca", pki.cert("ca")], script: "hello\n")
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("this port speaks plaintext chat/1 (it answered unencrypted)"), "\(result.output)")
        #expect(!result.output.contains("OK SAY"))
    }

    @Test("a wrong host name lists the names the server certificate covers")
    func wrongHostListsNames() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = chat(["127.0.0.1:\(server.port)", "--ca", pki.cert("ca"), "--server-name", "example.test"])
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("the server's certificate is for localhost, 127.0.0.1, ::1, not example.test (hostname mismatch)"),
                "\(result.output)")
        let impostor = try ServerProcess(["--cert", pki.cert("wronghost-server"), "--key", pki.key("wronghost-server")])
        defer { impostor.stop() }
        let byIP = chat(["127.0.0.1:\(impostor.port)", "--ca", pki.cert("ca")])
        #expect(byIP.output.contains("is for example.com, not 127.0.0.1 (IP address mismatch)"), "\(byIP.output)")
    }

    @Test("--server-name: connect to 127.0.0.1, verify another name (example.com, localhost); refused with --plain")
    func serverName() throws {
        let impostor = try ServerProcess(["--cert", pki.cert("wronghost-server"), "--key", pki.key("wronghost-server")])
        defer { impostor.stop() }
        let verified = chat(["127.0.0.1:\(impostor.port)", "--ca", pki.cert("ca"), "--server-name", "example.com"])
        #expect(verified.status == 0 && verified.output.contains("OK WHOAMI ~guest"), "\(verified.output)")
        let server = try ServerProcess()
        defer { server.stop() }
        let localhost = chat(["127.0.0.1:\(server.port)", "--ca", pki.cert("ca"), "--server-name", "localhost"])
        #expect(localhost.status == 0, "\(localhost.output)")
        let plain = chat(["127.0.0.1:\(server.port)", "--plain", "--server-name", "localhost"])
        #expect(plain.status == 64 && plain.output.contains("--server-name"), "\(plain.output)")
    }
}
