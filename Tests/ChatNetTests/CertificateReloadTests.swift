// CertificateReloadTests: tlschatd reloads its certificate files without a
// restart (issue 14, items 2 and 3). While an openssl s_client session stays
// connected, the served certificate is replaced by a plain write, by
// rename-over and by a certbot-style symlink swap; new handshakes (Python's
// ssl, getpeercert) must see the new serial within the deadline. Broken
// replacements (garbage, a key that does not match, an expired certificate,
// one from another CA) must leave the old certificate served, with one log
// line naming the file, and a later good file must still be picked up.
// SIGHUP reloads too. The expiry warning is checked at start and after a
// reload. Every wait has a deadline; "still the old one" is checked after
// the refusal's log line appeared.
import Foundation
import Testing

@Suite("Certificate reload", .serialized)
struct CertificateReloadTests {
    /// New handshakes see a change within 2 s; the margin covers starting Python for each probe.
    static let deadline: TimeInterval = 3

    func waitForServed(_ serial: String, _ pki: ScratchPKI, _ server: ServerProcess) -> Bool {
        ChildProcess.waitUntil(timeout: Self.deadline) { pki.servedSerial(port: server.port) == serial }
    }

    /// A session that must survive every reload.
    func liveSession(_ pki: ScratchPKI, _ server: ServerProcess) throws -> ChildProcess {
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        return bob
    }

    func expectAlive(_ session: ChildProcess, _ token: String) {
        session.send("PING \(token)\n")
        #expect(session.waitForOutput("OK PING \(token)"), "the live session did not survive: \(session.stdout.text)")
    }

    @Test("a plain write and a rename-over reach new handshakes within 2 s; live sessions stay; broken files keep the old certificate with one log line")
    func writeRenameAndBrokenFiles() throws {
        let pki = try ScratchPKI(badCertificates: true)
        try pki.shell("mkdir srv; cp server.pem server.key srv/; mkdir other; \(RepoPaths.root)/Scripts/gen-certs --dir other >/dev/null")
        let server = try ServerProcess(["--client-ca", pki.path("ca.pem")], clientCA: false,
                                       certificate: (pki.path("srv/server.pem"), pki.path("srv/server.key")))
        defer { server.stop() }
        let bob = try liveSession(pki, server)
        defer { bob.stop(signal: SIGKILL) }
        #expect(pki.servedSerial(port: server.port) == (try pki.serial("srv/server.pem")))

        let first = try pki.issueServerCertificate(1)
        try pki.shell("cat new-1.pem >srv/server.pem; cat new-1.key >srv/server.key")  // in place, not atomic
        #expect(waitForServed(first, pki, server), "plain write not picked up; log: \(server.log)")
        expectAlive(bob, "after-write")

        let second = try pki.issueServerCertificate(2)
        try pki.shell("cp new-2.key srv/.k; mv -f srv/.k srv/server.key; cp new-2.pem srv/.c; mv -f srv/.c srv/server.pem")
        #expect(waitForServed(second, pki, server), "rename-over not picked up; log: \(server.log)")
        expectAlive(bob, "after-rename")

        let broken: [(String, String, String)] = [
            ("garbage", "echo garbage >srv/.c; mv -f srv/.c srv/server.pem", "loading certificate chain"),
            ("mismatched key", "cp new-2.pem srv/server.pem; cp bob.key srv/.k; mv -f srv/.k srv/server.key", "key values mismatch"),
            ("expired", "cp expired-server.pem srv/.c; cp expired-server.key srv/.k; mv -f srv/.k srv/server.key; mv -f srv/.c srv/server.pem", "it expired on"),
            ("wrong CA", "cp other/server.pem srv/.c; cp other/server.key srv/.k; mv -f srv/.k srv/server.key; mv -f srv/.c srv/server.pem", "wrong CA"),
        ]
        for (index, (what, script, reason)) in broken.enumerated() {
            let refusalsBefore = server.log.components(separatedBy: "TLS reload refused").count - 1
            try pki.shell(script)
            #expect(ChildProcess.waitUntil(timeout: 10) {
                server.log.components(separatedBy: "TLS reload refused").count - 1 > refusalsBefore
            }, "\(what): no refusal logged; log: \(server.log)")
            let refusal = server.log.split(separator: "\n").filter { $0.contains("TLS reload refused") }.last.map(String.init) ?? ""
            #expect(refusal.contains(reason) && refusal.contains("file=\(pki.path("srv/server."))"), "\(what): \(refusal)")
            #expect(pki.servedSerial(port: server.port) == second, "\(what): the old certificate is no longer served")
            expectAlive(bob, "after-broken-\(index)")
        }
        // Repaired: the next change is tried again.
        try pki.shell("cp new-1.key srv/.k; mv -f srv/.k srv/server.key; cp new-1.pem srv/.c; mv -f srv/.c srv/server.pem")
        #expect(waitForServed(first, pki, server), "a good file after broken ones was not picked up; log: \(server.log)")
        expectAlive(bob, "after-repair")
    }

    @Test("certbot-style layout: swapping the live/ symlinks to new archive/ files reaches new handshakes; SIGHUP reloads")
    func symlinkSwapAndSighup() throws {
        let pki = try ScratchPKI()
        try pki.shell("""
            mkdir -p archive/chat live/chat
            cp server.pem archive/chat/fullchain1.pem; cp server.key archive/chat/privkey1.pem
            ln -s ../../archive/chat/fullchain1.pem live/chat/fullchain.pem
            ln -s ../../archive/chat/privkey1.pem live/chat/privkey.pem
            """)
        let server = try ServerProcess(["--client-ca", pki.path("ca.pem")], clientCA: false, launcher: ServerProcess.withSignalsUnblocked,
                                       certificate: (pki.path("live/chat/fullchain.pem"), pki.path("live/chat/privkey.pem")))
        defer { server.stop() }
        let bob = try liveSession(pki, server)
        defer { bob.stop(signal: SIGKILL) }
        let renewed = try pki.issueServerCertificate(1)
        try pki.shell("""
            cp new-1.pem archive/chat/fullchain2.pem; cp new-1.key archive/chat/privkey2.pem
            ln -s ../../archive/chat/privkey2.pem live/chat/.k; mv -T live/chat/.k live/chat/privkey.pem
            ln -s ../../archive/chat/fullchain2.pem live/chat/.c; mv -T live/chat/.c live/chat/fullchain.pem
            """)
        #expect(waitForServed(renewed, pki, server), "symlink swap not picked up; log: \(server.log)")
        expectAlive(bob, "after-swap")
        #expect(server.log.contains("TLS configuration reloaded") && server.log.contains("serial=\(renewed)"), "log: \(server.log)")

        // SIGHUP alone (no watcher involved: the files are the same) rebuilds and logs.
        let reloadsBefore = server.log.components(separatedBy: "TLS configuration reloaded").count
        kill(server.child.pid, SIGHUP)
        #expect(ChildProcess.waitUntil(timeout: 10) {
            server.log.components(separatedBy: "TLS configuration reloaded").count > reloadsBefore && server.log.contains("trigger=SIGHUP")
        }, "log: \(server.log)")
        expectAlive(bob, "after-hup")
    }

    @Test("a server certificate expiring within 30 days is warned about at start and after a reload, with the days and the date")
    func expiryWarning() throws {
        let pki = try ScratchPKI()
        try pki.shell("""
            printf '%s\\n' '[req]' 'distinguished_name=dn' '[dn]' '[v3]' 'basicConstraints=critical,CA:FALSE' \\
              'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectKeyIdentifier=hash' \\
              'authorityKeyIdentifier=keyid,issuer' 'subjectAltName=DNS:localhost,IP:127.0.0.1' >short.cnf
            openssl req -new -key server.key -subj /CN=localhost -config short.cnf -out short.csr
            openssl x509 -req -in short.csr -CA ca.pem -CAkey ca.key -days 10 -sha256 -set_serial 0x$(openssl rand -hex 16) \\
              -extfile short.cnf -extensions v3 -out short.pem 2>/dev/null
            mkdir srv; cp server.pem server.key srv/
            """)
        let fine = try ServerProcess(["--client-ca", pki.path("ca.pem")], clientCA: false,
                                     certificate: (pki.path("srv/server.pem"), pki.path("srv/server.key")))
        defer { fine.stop() }
        #expect(ChildProcess.waitUntil(timeout: 5) { fine.log.contains("started") })
        #expect(!fine.log.contains("expires in"), "log: \(fine.log)")
        try pki.shell("cp short.pem srv/.c; mv -f srv/.c srv/server.pem")
        // 10 days from issue: 9 whole days left, or 10 when checked within the second it was issued.
        func warned(_ log: String) -> Bool {
            log.contains("server certificate \(pki.path("srv/server.pem")) expires in 9 days, on ")
                || log.contains("server certificate \(pki.path("srv/server.pem")) expires in 10 days, on ")
        }
        #expect(ChildProcess.waitUntil(timeout: 10) { warned(fine.log) },
                "log: \(fine.log)")
        let short = try ServerProcess(["--client-ca", pki.path("ca.pem")], clientCA: false,
                                      certificate: (pki.path("short.pem"), pki.path("server.key")))
        defer { short.stop() }
        #expect(short.log.contains("expires in 9 days, on ") || short.log.contains("expires in 10 days, on "), "log: \(short.log)")
    }
}
