// RevocationReloadTests: the edges of a CRL reload (review of issue 14). A
// handshake that was accepted before a CRL revoked its certificate and
// finishes after the reload is refused (NOTICE revoked instead of HELLO, or
// the session ended for a STARTTLS upgrade), using Python's ssl with the
// handshake held back. A good new CRL applies even when the certificate file
// is broken at the same time. A replaced context gives back its store after
// the handshake timeout and its live session goes on. A CRL file with too
// many CRLs, or too large, is refused naming it. Each test has its own PKI.
import Foundation
import Testing

@Suite("Revocation across reloads", .serialized)
struct RevocationReloadTests {
    func server(_ pki: ScratchPKI, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(["--client-ca", pki.path("ca.pem"), "--crl", pki.path("crl.pem")] + extra, clientCA: false,
                          certificate: (pki.path("srv/server.pem"), pki.path("srv/server.key")))
    }

    /// Connects (TCP, or plaintext then STARTTLS), prints "ready", waits for a line on stdin, then
    /// runs the TLS handshake with CERT and prints what the server sends until it closes.
    static let pausedHandshake = """
        import socket, ssl, sys
        ca, cert, key, port, mode = sys.argv[1:6]
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(cert, key)
        raw = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
        if mode == "starttls":
            seen = b""
            raw.sendall(b"STARTTLS\\n")
            while not seen.endswith(b"OK STARTTLS\\n"):
                byte = raw.recv(1)
                if not byte: sys.exit("closed before OK STARTTLS: %r" % seen)
                seen += byte
        tls = ctx.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        print("ready", flush=True)
        sys.stdin.readline()
        try:
            tls.do_handshake()
            while True:
                data = tls.recv(4096)
                if not data: break
                print(data.decode(), end="", flush=True)
        except (ssl.SSLError, OSError) as error:
            print("tls error:", error, flush=True)
        print("EOF", flush=True)
        """

    func pausedClient(_ pki: ScratchPKI, port: Int, mode: String) throws -> ChildProcess {
        try ChildProcess("python3", ["-c", Self.pausedHandshake, pki.path("ca.pem"), pki.path("alice.pem"),
                                     pki.path("alice.key"), "\(port)", mode])
    }

    func reloads(_ server: ServerProcess) -> Int { server.log.components(separatedBy: "reloaded").count - 1 }

    @Test("a handshake accepted before a CRL revoked its certificate and finished after the reload gets NOTICE revoked, not HELLO; also after STARTTLS")
    func handshakeStraddlingTheReload() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try server(pki, ["--plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let plainPort = try #require(server.plainPort)
        let direct = try pausedClient(pki, port: server.port, mode: "tls")
        defer { direct.stop(signal: SIGKILL) }
        let upgrading = try pausedClient(pki, port: plainPort, mode: "starttls")
        defer { upgrading.stop(signal: SIGKILL) }
        #expect(direct.waitForOutput("ready") && upgrading.waitForOutput("ready"),
                "\(direct.stderr.text) \(upgrading.stderr.text)")
        let serial = try pki.serial("alice.pem")
        try pki.genCerts(["revoke", "alice"])
        #expect(ChildProcess.waitUntil(timeout: 10) { reloads(server) >= 1 }, "log: \(server.log)")
        direct.send("go\n")
        upgrading.send("go\n")
        let notice = "NOTICE revoked your certificate (serial \(serial)) was revoked"
        #expect(direct.waitForOutput("EOF", timeout: 10), "direct: \(direct.stdout.text) log: \(server.log)")
        #expect(direct.stdout.text.contains(notice) && !direct.stdout.text.contains("HELLO"), "direct: \(direct.stdout.text)")
        #expect(upgrading.waitForOutput("EOF", timeout: 10), "upgrading: \(upgrading.stdout.text) log: \(server.log)")
        #expect(upgrading.stdout.text.contains(notice), "upgrading: \(upgrading.stdout.text)")
        #expect(server.log.components(separatedBy: "certificate revoked while its handshake ran").count - 1 == 2, "log: \(server.log)")
    }

    @Test("a new CRL takes effect (live session ended, new handshakes refused) while the certificate file is broken; the old certificate stays")
    func crlAppliesWhileCertificateBroken() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try server(pki)
        defer { server.stop() }
        let alice = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { alice.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1 tlschatd tls alice cert"))
        let served = try pki.serial("srv/server.pem")
        let serial = try pki.serial("alice.pem")
        try pki.shell("echo garbage >srv/.c; mv -f srv/.c srv/server.pem")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("TLS reload refused") }, "log: \(server.log)")
        try pki.genCerts(["revoke", "alice"])
        #expect(alice.waitForOutput("NOTICE revoked your certificate (serial \(serial)) was revoked", timeout: 10),
                "alice saw: \(alice.stdout.text) log: \(server.log)")
        #expect(server.log.contains("CRL reloaded alone"), "log: \(server.log)")
        let again = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { again.stop(signal: SIGKILL) }
        #expect(again.waitForExit() != 0)
        #expect(again.stderr.text.contains("alert certificate revoked"), "s_client said: \(again.stderr.text)")
        #expect(pki.servedSerial(port: server.port) == served)
    }

    @Test("a replaced context frees its CA store and CRLs after the handshake timeout; its live session still works, new handshakes too")
    func replacedContextReleased() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try server(pki, ["--handshake-timeout", "1"])
        defer { server.stop() }
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        try pki.genCerts(["revoke", "alice"])
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("released the CA certificates and CRLs") }, "log: \(server.log)")
        bob.send("PING after-release\n")
        #expect(bob.waitForOutput("OK PING after-release"), "bob: \(bob.stdout.text)")
        let carol = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { carol.stop(signal: SIGKILL) }
        #expect(carol.waitForOutput("HELLO chat/1 tlschatd tls bob"), "s_client: \(carol.stderr.text)")
    }

    @Test("a CRL file with more than 1000 CRLs, or larger than 64 MiB, is refused naming the file")
    func crlFileLimits() throws {
        let pki = try ScratchPKI()
        try pki.shell("for i in $(seq 1001); do cat crl.pem; done >many.pem; truncate -s 65M huge.pem")
        for (file, expected) in [("many.pem", "it holds more than 1000 CRLs"), ("huge.pem", "it is 68157440 bytes; a CRL file may be at most 64 MiB")] {
            let result = pki.serverRefusing(crl: file)
            #expect(result.status != 0)
            #expect(result.output.contains("loading CRL file \(pki.path(file)): \(expected)"), "output: \(result.output)")
        }
    }
}
