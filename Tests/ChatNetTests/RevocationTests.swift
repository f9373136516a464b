// RevocationTests: tlschatd --crl against openssl s_client (issue 14, item 1).
// A revoked client certificate fails the handshake with the
// certificate_revoked alert and one log line naming its serial and subject;
// its renewal works; a revoked intermediate refuses the chain under it and
// ends the live session using it (NOTICE revoked); an expired CRL is refused
// unless --crl-allow-expired, which still applies its revocations; a CRL
// update ends revoked live sessions and leaves the others alone. Each test
// has its own PKI (ScratchPKI) and its server reads the CRL where
// Scripts/gen-certs writes it.
import Foundation
import Testing

@Suite("Revocation (CRL)", .serialized)
struct RevocationTests {
    func server(_ pki: ScratchPKI, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(["--client-ca", pki.path("ca.pem"), "--crl", pki.path("crl.pem")] + extra, clientCA: false,
                          certificate: (pki.path("server.pem"), pki.path("server.key")))
    }

    @Test("a revoked client certificate fails the handshake with certificate_revoked and one log line naming serial and subject; the renewed one works")
    func revokedAndRenewed() throws {
        let pki = try ScratchPKI()
        try pki.shell("cp alice.pem alice-old.pem; cp alice.key alice-old.key")
        let revokedSerial = try pki.serial("alice-old.pem")
        try pki.genCerts(["revoke", "alice"])
        let renewal = try pki.genCerts(["renew", "alice"])
        #expect(renewal.contains("renewed"), "\(renewal)")
        #expect(try pki.serial("alice.pem") != revokedSerial)
        let server = try server(pki)
        defer { server.stop() }
        let revoked = try pki.sClient(port: server.port, cert: "alice-old.pem")
        defer { revoked.stop(signal: SIGKILL) }
        #expect(revoked.waitForExit() != 0)
        #expect(!revoked.stdout.text.contains("HELLO"))
        #expect(revoked.stderr.text.contains("alert certificate revoked"), "s_client said: \(revoked.stderr.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("revoked certificate serial \(revokedSerial) subject /CN=alice") },
                "log: \(server.log)")
        let lines = server.log.split(separator: "\n").filter { $0.contains(revokedSerial) }
        #expect(lines.count == 1, "log lines naming the serial: \(lines)")
        let renewed = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { renewed.stop(signal: SIGKILL) }
        #expect(renewed.waitForOutput("HELLO chat/1 tlschatd tls alice cert #lobby"), "s_client: \(renewed.stderr.text)")
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert #lobby"), "s_client: \(bob.stderr.text)")
    }

    /// An intermediate CA "int" under the scratch root, a client "carol" under it, and a CRL file
    /// holding the root's and the intermediate's CRLs (crl-all.pem, replaced by rename).
    static let intermediateSetup = """
        printf '%s\\n' '[req]' 'distinguished_name=dn' '[dn]' '[ca]' 'basicConstraints=critical,CA:TRUE' \\
          'keyUsage=critical,keyCertSign,cRLSign' 'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid:always' \\
          '[leaf]' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth' \\
          'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid,issuer' >ext.cnf
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key 2>/dev/null
        openssl req -new -key int.key -subj '/CN=TLSChat Test Intermediate' -config ext.cnf -out int.csr
        openssl x509 -req -in int.csr -CA ca.pem -CAkey ca.key -days 30 -sha256 -set_serial 0x$(openssl rand -hex 16) \\
          -extfile ext.cnf -extensions ca -out int.pem 2>/dev/null
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out carol.key 2>/dev/null
        openssl req -new -key carol.key -subj '/CN=carol' -config ext.cnf -out carol.csr
        openssl x509 -req -in carol.csr -CA int.pem -CAkey int.key -days 30 -sha256 -set_serial 0x$(openssl rand -hex 16) \\
          -extfile ext.cnf -extensions leaf -out carol.pem 2>/dev/null
        mkdir -p int-db; : >int-db/index.txt; echo 1000 >int-db/crlnumber
        printf '%s\\n' '[ca]' 'default_ca=i' '[i]' "database=$D/int-db/index.txt" "crlnumber=$D/int-db/crlnumber" \\
          'default_md=sha256' 'default_crl_days=30' >int-db/ca.cnf
        openssl ca -batch -gencrl -config int-db/ca.cnf -cert int.pem -keyfile int.key -out int-crl.pem 2>/dev/null
        cat crl.pem int-crl.pem >crl-all.new && mv -f crl-all.new crl-all.pem
        """

    @Test("a revoked intermediate: the live session under it gets NOTICE revoked and is closed; new handshakes fail naming the intermediate")
    func revokedIntermediate() throws {
        let pki = try ScratchPKI()
        try pki.shell(Self.intermediateSetup)
        let server = try ServerProcess(["--client-ca", pki.path("ca.pem"), "--crl", pki.path("crl-all.pem")], clientCA: false,
                                       certificate: (pki.path("server.pem"), pki.path("server.key")))
        defer { server.stop() }
        let carol = try pki.sClient(port: server.port, cert: "carol.pem", chain: "int.pem")
        defer { carol.stop(signal: SIGKILL) }
        #expect(carol.waitForOutput("HELLO chat/1 tlschatd tls carol cert #lobby"), "s_client: \(carol.stderr.text)")
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert #lobby"))
        let intermediateSerial = try pki.serial("int.pem")
        try pki.genCerts(["revoke", "int"])  // the root's index records and revokes it
        try pki.shell("cat crl.pem int-crl.pem >crl-all.new && mv -f crl-all.new crl-all.pem")
        #expect(carol.waitForOutput("NOTICE revoked your certificate (serial \(intermediateSerial)) was revoked", timeout: 10),
                "carol saw: \(carol.stdout.text) log: \(server.log)")
        #expect(carol.waitForExit(timeout: 10) != nil, "carol's session was not closed")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("name=carol") && server.log.contains("reason=revoked") }, "log: \(server.log)")
        bob.send("PING still-here\n")
        #expect(bob.waitForOutput("OK PING still-here"))
        let again = try pki.sClient(port: server.port, cert: "carol.pem", chain: "int.pem")
        defer { again.stop(signal: SIGKILL) }
        #expect(again.waitForExit() != 0)
        #expect(again.stderr.text.contains("alert certificate revoked"), "s_client said: \(again.stderr.text)")
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.contains("revoked certificate serial \(intermediateSerial) subject /CN=TLSChat Test Intermediate")
        }, "log: \(server.log)")
    }

    /// Replaces crl.pem by one whose nextUpdate has passed, listing alice.
    static let expiredCRL = """
        openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key -revoke alice.pem 2>/dev/null
        openssl ca -batch -gencrl -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key \\
          -crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z -out crl.pem 2>/dev/null
        """

    @Test("an expired CRL refuses every certificate by default; --crl-allow-expired accepts it and still applies its revocations")
    func expiredCRL() throws {
        let pki = try ScratchPKI()
        try pki.shell(Self.expiredCRL)
        let strict = try server(pki)
        defer { strict.stop() }
        #expect(strict.log.contains("expired on 2020-02-01"), "log: \(strict.log)")
        let refused = try pki.sClient(port: strict.port, cert: "bob.pem")
        defer { refused.stop(signal: SIGKILL) }
        #expect(refused.waitForExit() != 0)
        #expect(!refused.stdout.text.contains("HELLO"))
        #expect(ChildProcess.waitUntil(timeout: 10) { strict.log.contains("CRL has expired") }, "log: \(strict.log)")
        let lenient = try server(pki, ["--crl-allow-expired"])
        defer { lenient.stop() }
        let bob = try pki.sClient(port: lenient.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert #lobby"), "s_client: \(bob.stderr.text) log: \(lenient.log)")
        let alice = try pki.sClient(port: lenient.port, cert: "alice.pem")
        defer { alice.stop(signal: SIGKILL) }
        #expect(alice.waitForExit() != 0)
        #expect(alice.stderr.text.contains("alert certificate revoked"), "s_client said: \(alice.stderr.text)")
    }

    @Test("revoking a connected user's certificate: NOTICE revoked, then closed (reason=revoked); an unrevoked user stays")
    func liveSessionRevoked() throws {
        let pki = try ScratchPKI()
        let server = try server(pki)
        defer { server.stop() }
        let alice = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { alice.stop(signal: SIGKILL) }
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(alice.waitForOutput("HELLO chat/1 tlschatd tls alice cert"))
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        let serial = try pki.serial("alice.pem")
        try pki.genCerts(["revoke", "alice"])  // rewrites crl.pem by rename
        #expect(alice.waitForOutput("NOTICE revoked your certificate (serial \(serial)) was revoked", timeout: 10),
                "alice saw: \(alice.stdout.text) log: \(server.log)")
        #expect(alice.waitForExit(timeout: 10) != nil, "alice was not closed")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("name=alice") && server.log.contains("reason=revoked") }, "log: \(server.log)")
        #expect(bob.waitForOutput("PARTED #lobby alice cert quit"))
        bob.send("PING still-here\n")
        #expect(bob.waitForOutput("OK PING still-here"))
        #expect(!bob.stdout.text.contains("NOTICE revoked"))
    }

    @Test("--crl is refused at start when the file holds no CRL or a CRL signed by another CA key, naming the file")
    func badCRLFileRefused() throws {
        let pki = try ScratchPKI()
        try pki.shell("echo garbage >garbage.pem; mkdir other; cd other; \(RepoPaths.root)/Scripts/gen-certs --dir . >/dev/null")
        for (file, expected) in [("garbage.pem", "it holds no CRL"), ("other/crl.pem", "CRL 1 (issuer /CN=TLSChat Test CA) is not signed by the CA of that name")] {
            let result = pki.serverRefusing(crl: file)
            #expect(result.status != 0)
            #expect(result.output.contains("loading CRL file \(pki.path(file)): \(expected)"), "output: \(result.output)")
        }
    }
}
