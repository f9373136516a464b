// PinnedVerificationTests: what a key pin replaces, in-process, with servers
// tlschatd would refuse to start with. Without a CA a matching pin stands in
// for the chain and the host name only: a certificate for another name is
// accepted, but an expired one or one without serverAuth still fails with its
// reason; a pin that does not match fails even with a valid chain, before
// either side opens. An inspect-only context (--print-pin) takes no client
// certificate. Certificates come from `TestPKI`; pins are computed with
// openssl, not with our code.
@testable import ChatNet
import Foundation
import Testing

@Suite("TLS verification with key pins", .serialized)
struct PinnedVerificationTests {
    let pki = TestPKI.shared

    func pin(of name: String) throws -> ServerKeyPin {
        let result = Subprocess.run("bash", ["-c", "openssl x509 -in '\(pki.cert(name))' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"])
        return try ServerKeyPin.parse("sha256:" + result.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Connects a client with `pins` (and the test CA when `withCA`) to a server using certificate `name`.
    func attempt(_ name: String, pins: [ServerKeyPin], withCA: Bool, serverName: String = "localhost")
        throws -> (client: RecordingDelegate, server: RecordingDelegate?)
    {
        var server = TLSConfiguration.server(certificateChainFile: pki.cert(name), privateKeyFile: pki.key(name))
        server.startupChecks = false  // tlschatd refuses some of these at start; the client's view is tested here
        var client = TLSConfiguration.client(trustRoots: .file(pki.cert("ca")))
        if !withCA { client.trustRoots = nil }
        client.serverKeyPins = pins
        let harness = try ConnectionHarness(.tls, server: server, client: client)
        defer { harness.tearDown() }
        let (_, clientSide) = try harness.connectClient(serverName: serverName)
        _ = try harness.run { clientSide.closeReason != nil || (clientSide.opened && harness.serverDelegates.first?.opened == true) }
        _ = try harness.run(for: .milliseconds(300)) { harness.serverDelegates.first?.closeReason != nil }
        return (clientSide, harness.serverDelegates.first)
    }

    func failure(_ delegate: RecordingDelegate) -> String? {
        guard case .handshakeFailed(let error)? = delegate.closeReason else { return nil }
        return "\(error)"
    }

    @Test("no CA: the right pin accepts a certificate for another name and from an untrusted CA")
    func pinReplacesChainAndName() throws {
        let wrongHost = try attempt("wronghost-server", pins: [try pin(of: "wronghost-server")], withCA: false)
        #expect(wrongHost.client.opened, "\(String(describing: wrongHost.client.closeReason))")
        let trusted = try attempt("server", pins: [try pin(of: "server")], withCA: false, serverName: "127.0.0.1")
        #expect(trusted.client.opened, "\(String(describing: trusted.client.closeReason))")
    }

    @Test("no CA: the right pin does not excuse an expired certificate or one without serverAuth",
          arguments: ["expired-server|certificate has expired", "clientonly-server|unsuitable certificate purpose"])
    func pinKeepsOtherChecks(_ caseText: String) throws {
        let parts = caseText.split(separator: "|").map(String.init)
        let result = try attempt(parts[0], pins: [try pin(of: parts[0])], withCA: false)
        #expect(!result.client.opened)
        #expect(failure(result.client)?.contains(parts[1]) == true, "\(String(describing: result.client.closeReason))")
    }

    @Test("a pin that matches no key fails with a valid chain too, and the server never opens", arguments: [true, false])
    func mismatchFailsBeforeOpening(withCA: Bool) throws {
        let result = try attempt("server", pins: [try pin(of: "wronghost-server")], withCA: withCA)
        #expect(!result.client.opened)
        #expect(result.server?.opened != true)
        let text = try #require(failure(result.client))
        #expect(text.contains("server public key pin mismatch: expected \(try pin(of: "wronghost-server")), received \(try pin(of: "server"))"), "\(text)")
    }

    @Test("an inspect-only client context refuses a client certificate: it would go to a server nobody verified")
    func inspectOnlyRefusesClientCertificate() throws {
        var client = TLSConfiguration.client(certificateChainFile: pki.cert("alice"), privateKeyFile: pki.key("alice"))
        client.trustRoots = nil
        client.inspectOnly = true
        #expect(throws: TLSError.self) { try TLSContext(client) }
        client.certificateChainFile = nil
        client.privateKeyFile = nil
        _ = try TLSContext(client)
    }
}
