// ExpiryNoticePeerTests: `NOTICE expiry` over the wire, seen by a client we
// did not write (openssl s_client) and by tlschat. A client certificate that
// expires in 5 days (made here with openssl, signed by the test CA) gets the
// notice right after HELLO (also after a STARTTLS upgrade, with tlschat
// --starttls); a long-lived one (alice, 90 days) does not, and
// `tlschatd --warn-expiry-days 0` turns it off. Waits poll with deadlines;
// processes are ended by PID.
import Foundation
import Testing

@Suite("NOTICE expiry with external peers", .serialized)
struct ExpiryNoticePeerTests {
    let pki = TestPKI.shared

    /// A clientAuth certificate for `name`, valid for `days`, signed by the test CA, in a fresh directory.
    func shortLivedClient(_ name: String, days: Int) throws -> (certificate: String, key: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-expiry-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let extensions = directory + "/client.ext"
        try "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
            .write(toFile: extensions, atomically: true, encoding: .utf8)
        let request = Subprocess.run("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                                 "-keyout", directory + "/\(name).key", "-out", directory + "/\(name).csr", "-subj", "/CN=\(name)"])
        #expect(request.status == 0, "\(request.output)")
        let sign = Subprocess.run("openssl", ["x509", "-req", "-in", directory + "/\(name).csr", "-CA", pki.cert("ca"), "-CAkey", pki.key("ca"),
                                              "-set_serial", "\(UInt64.random(in: 1...(1 << 62)))", "-days", "\(days)", "-sha256", "-extfile", extensions,
                                              "-out", directory + "/\(name).pem"])
        #expect(sign.status == 0, "\(sign.output)")
        return (directory + "/\(name).pem", directory + "/\(name).key", directory)
    }

    func sClient(_ port: Int, certificate: String, key: String) throws -> ChildProcess {
        try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", pki.cert("ca"), "-verify_return_error",
                                     "-servername", "localhost", "-quiet", "-cert", certificate, "-key", key])
    }

    @Test("openssl s_client with a certificate expiring in 5 days gets NOTICE expiry right after HELLO")
    func expiringCertificate() throws {
        let made = try shortLivedClient("carol", days: 5)
        defer { try? FileManager.default.removeItem(atPath: made.directory) }
        let server = try ServerProcess()
        defer { server.stop() }
        let peer = try sClient(server.port, certificate: made.certificate, key: made.key)
        defer { peer.stop(signal: SIGKILL) }
        peer.send("WHOAMI\n")
        #expect(peer.waitForOutput("OK WHOAMI carol cert"), "\(peer.stdout.text) \(peer.stderr.text)")
        let lines = peer.stdout.text.split(separator: "\n").map(String.init)
        #expect(lines.first == "HELLO chat/1 tlschatd tls carol cert #lobby", "\(lines)")
        #expect(lines.count >= 2 && lines[1].hasPrefix("NOTICE expiry your certificate expires ")
                && (lines[1].contains("(in 4 days)") || lines[1].contains("(in 5 days)")), "\(lines)")

        let tlschat = Subprocess.run(RepoPaths.executable("tlschat"), ["127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"),
                                                                      "--cert", made.certificate, "--key", made.key], input: "/whoami\n")
        #expect(tlschat.status == 0, "\(tlschat.output)")
        #expect(tlschat.output.contains("HELLO chat/1 tlschatd tls carol cert #lobby\nNOTICE expiry your certificate expires "), "\(tlschat.output)")
    }

    @Test("tlschat --starttls with a certificate expiring in 5 days gets NOTICE expiry right after the new HELLO")
    func expiringCertificateAfterStartTLS() throws {
        let made = try shortLivedClient("erin", days: 5)
        defer { try? FileManager.default.removeItem(atPath: made.directory) }
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"])
        defer { server.stop() }
        let plainPort = try #require(server.plainPort, "\(server.log)")
        let tlschat = Subprocess.run(RepoPaths.executable("tlschat"), ["127.0.0.1:\(plainPort)", "--starttls", "--server-name", "localhost",
                                                                      "--ca", pki.cert("ca"), "--cert", made.certificate, "--key", made.key],
                                     input: "/whoami\n")
        #expect(tlschat.status == 0, "\(tlschat.output)")
        #expect(tlschat.output.contains("HELLO chat/1 tlschatd tls erin cert #lobby\nNOTICE expiry your certificate expires "), "\(tlschat.output)")
    }

    @Test("no NOTICE expiry for a long-lived certificate, nor with --warn-expiry-days 0")
    func noNotice() throws {
        let made = try shortLivedClient("dave", days: 5)
        defer { try? FileManager.default.removeItem(atPath: made.directory) }
        let server = try ServerProcess(["--warn-expiry-days", "0"])
        defer { server.stop() }
        let defaults = try ServerProcess()
        defer { defaults.stop() }
        for (port, certificate, key) in [(defaults.port, pki.cert("alice"), pki.key("alice")), (server.port, made.certificate, made.key)] {
            let peer = try sClient(port, certificate: certificate, key: key)
            defer { peer.stop(signal: SIGKILL) }
            peer.send("WHOAMI\n")
            #expect(peer.waitForOutput("OK WHOAMI "), "\(peer.stdout.text) \(peer.stderr.text)")
            #expect(!peer.stdout.text.contains("NOTICE"), "\(peer.stdout.text)")
        }
    }
}
