// ExternalPeerTests: the real tlschatd binary against TLS peers we did not
// write: `openssl s_client` and Python's `ssl` module. Checks data exchange,
// client-certificate identity, and the TLS policy (TLS 1.2 refused under
// modern; under intermediate accepted only with ECDHE + AEAD).
import Foundation
import Testing

@Suite("External TLS peers", .serialized)
struct ExternalPeerTests {
    let pki = TestPKI.shared

    func sClient(_ port: Int, _ extra: [String]) throws -> ChildProcess {
        try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", pki.cert("ca"),
                                     "-verify_return_error", "-servername", "localhost", "-quiet"] + extra)
    }

    @Test("openssl s_client with a client certificate completes a handshake and exchanges data")
    func opensslClient() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try sClient(server.port, ["-cert", pki.cert("alice"), "-key", pki.key("alice")])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1 tlschatd tls alice cert #lobby\n"), "s_client saw: \(client.stdout.text) \(client.stderr.text)")
        client.send("WHOAMI\n")
        #expect(client.waitForOutput("OK WHOAMI alice cert tls sha256:"))
    }

    @Test("the server sends only its chain file's certificates, not the root from its client-CA store")
    func noAutomaticChain() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                  "-verify_return_error", "-servername", "localhost", "-showcerts"])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1"), "s_client saw: \(client.stdout.text) \(client.stderr.text)")
        let sent = client.stdout.text.components(separatedBy: "-----BEGIN CERTIFICATE-----").count - 1
        #expect(sent == 1, "the server sent \(sent) certificates: \(client.stdout.text)")
    }

    @Test("openssl s_client without a certificate is anonymous under client-auth optional")
    func opensslAnonymous() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try sClient(server.port, [])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1 tlschatd tls ~guest1 tls #lobby\n"), "s_client saw: \(client.stdout.text) \(client.stderr.text)")
    }

    @Test("client-auth require: s_client without a certificate is refused and the server logs why")
    func opensslRefusedWithoutCertificate() throws {
        let server = try ServerProcess(["--client-auth", "require"])
        defer { server.stop() }
        let client = try sClient(server.port, [])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForExit() != nil)
        #expect(!client.stdout.text.contains("HELLO"))
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("peer did not return a certificate") }, "log: \(server.log)")
    }

    @Test("TLS 1.2 is refused under the modern policy (openssl s_client -tls1_2)")
    func tls12RefusedUnderModern() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let client = try sClient(server.port, ["-tls1_2"])
        defer { client.stop(signal: SIGKILL) }
        let status = client.waitForExit()
        #expect(status != nil && status != 0)
        #expect(!client.stdout.text.contains("HELLO"))
        #expect(client.stderr.text.contains("alert protocol version"), "s_client said: \(client.stderr.text)")
    }

    @Test("intermediate policy: TLS 1.2 with ECDHE works; a non-ECDHE suite is refused")
    func intermediatePolicy() throws {
        let server = try ServerProcess(["--tls-policy", "intermediate"])
        defer { server.stop() }
        let good = try sClient(server.port, ["-tls1_2"])
        defer { good.stop(signal: SIGKILL) }
        #expect(good.waitForOutput("HELLO chat/1"), "s_client saw: \(good.stdout.text) \(good.stderr.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("security=TLSv1.2 ECDHE-ECDSA-") }, "log: \(server.log)")
        let staticRSA = try sClient(server.port, ["-tls1_2", "-cipher", "AES128-GCM-SHA256:AES128-SHA"])
        defer { staticRSA.stop(signal: SIGKILL) }
        #expect(staticRSA.waitForExit() != 0)
        #expect(!staticRSA.stdout.text.contains("HELLO"))
    }

    static let pythonClient = """
        import socket, ssl, sys
        ca, cert, key, port, maxver = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
        ctx = ssl.create_default_context(cafile=ca)
        if cert != "-":
            ctx.load_cert_chain(cert, key)
        if maxver == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    f = tls.makefile("rwb")
                    print("greeting:", f.readline().decode().strip())
                    f.write(b"PING py\\n"); f.flush()
                    print("reply:", f.readline().decode().strip())
                    print("version:", tls.version())
                    tls.unwrap()
        except (ssl.SSLError, OSError) as error:
            print("error:", error)
            sys.exit(3)
        """

    func python(_ port: Int, cert: String?, maxVersion: String = "-") -> Subprocess.Result {
        Subprocess.run("python3", ["-c", Self.pythonClient, pki.cert("ca"), cert.map { pki.cert($0) } ?? "-",
                                   cert.map { pki.key($0) } ?? "-", String(port), maxVersion], timeout: 30)
    }

    @Test("Python's ssl module with a client certificate exchanges data and closes cleanly")
    func pythonClientWithCertificate() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = python(server.port, cert: "bob")
        #expect(result.status == 0, "python said: \(result.output)")
        #expect(result.output.contains("greeting: HELLO chat/1 tlschatd tls bob cert #lobby"))
        #expect(result.output.contains("reply: OK PING py"))
        #expect(result.output.contains("version: TLSv1.3"))
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("reason=peer-closed") }, "log: \(server.log)")
    }

    @Test("Python's ssl module limited to TLS 1.2 is refused under the modern policy")
    func pythonTLS12Refused() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let result = python(server.port, cert: "bob", maxVersion: "1.2")
        #expect(result.status == 3, "python said: \(result.output)")
        #expect(result.output.contains("error:"))
        #expect(!result.output.contains("greeting"))
    }
}
