// StartTLSTests: STARTTLS on the real tlschatd's plaintext listener, driven by
// Python's ssl module (Tests/Fixtures/starttls_client.py, a peer we did not
// write): an upgrade with and without a client certificate (new greeting,
// identity, what another member sees), bytes pipelined after STARTTLS never
// executed, STARTTLS over TLS refused, and --plain-require-starttls (a TLS user's
// MSG to a session not yet upgraded is NO_SUCH_USER); plus the one log line an
// upgrade writes.
import Foundation
import Testing

@Suite("STARTTLS with Python's ssl", .serialized)
struct StartTLSTests {
    let pki = TestPKI.shared

    func run(_ scenario: String, _ extraServerArguments: [String] = [], certificate: String? = nil) throws -> ServerProcess {
        let server = try ServerProcess(["--plain-listen", "127.0.0.1:0"] + extraServerArguments)
        guard let plainPort = server.plainPort else {
            server.stop()
            throw TestFailure("no plaintext listener announced: \(server.child.stdout.text)")
        }
        var arguments = [RepoPaths.root + "/Tests/Fixtures/starttls_client.py", scenario, pki.cert("ca"), "\(plainPort)", "\(server.port)"]
        if let certificate { arguments += [pki.cert(certificate), pki.key(certificate)] }
        let result = Subprocess.run("python3", arguments, timeout: 30)
        #expect(result.status == 0 && result.output.contains("PASSED \(scenario)"),
                "python: \(result.output)\nserver log: \(server.log)")
        return server
    }

    @Test("STARTTLS with a client certificate: new greeting as alice/cert, the other member sees PARTED then JOINED; a second STARTTLS is refused")
    func upgradeWithCertificate() throws {
        let server = try run("upgrade", certificate: "alice")
        defer { server.stop() }
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("upgraded") && server.log.contains("transport=plain->tls") && server.log.contains("name=alice")
                && server.log.contains("trust=cert")
        }, "log: \(server.log)")
    }

    @Test("STARTTLS without a certificate: the same guest name with tls trust")
    func upgradeAnonymous() throws {
        let server = try run("upgrade")
        defer { server.stop() }
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("trust=tls") && server.log.contains("transport=plain->tls") },
                "log: \(server.log)")
    }

    @Test("bytes pipelined after STARTTLS in the same write are never executed (CVE-2011-0411 class)")
    func pipelinedBytesNeverExecuted() throws {
        let server = try run("pipelined")
        server.stop()
    }

    @Test("STARTTLS over TLS is ERR NOT_ALLOWED")
    func refusedOverTLS() throws {
        let server = try run("over_tls")
        server.stop()
    }

    @Test("--plain-require-starttls: only STARTTLS, CAP, PING and BYE before the upgrade, no private message reaches it (NO_SUCH_USER), then the lobby")
    func requireStartTLS() throws {
        let server = try run("require", ["--plain-require-starttls"])
        server.stop()
    }
}
