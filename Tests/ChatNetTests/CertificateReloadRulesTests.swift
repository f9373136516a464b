// CertificateReloadRulesTests: the rules of a certificate reload (review of
// issue 14). A reload may add a client CA (logged, with its subject) but not
// drop or swap one. The served chain may change variant (with or without its
// intermediate) as long as it shares an issuer with the served one; a
// certificate without an authority key identifier from another CA of the
// same name is refused, one from the same CA (checked by signature) is
// accepted. A busy file beside the certificate (ignored) or a watched file
// touched every 50 ms (bounded debounce) does not postpone reloads; a
// certificate directory deleted and recreated is watched again. Without
// inotify (injected failure) the server logs one warning and reloads on
// SIGHUP. Each integration test has its own PKI; every wait has a deadline.
import ChatNet
import Foundation
import Logging
import Testing
@testable import ChatServerKit

@Suite("Certificate reload rules", .serialized)
struct CertificateReloadRulesTests {
    func server(_ pki: ScratchPKI, clientCA: String = "ca.pem") throws -> ServerProcess {
        try ServerProcess(["--client-ca", pki.path(clientCA)], clientCA: false,
                          certificate: (pki.path("srv/server.pem"), pki.path("srv/server.key")))
    }

    func count(_ text: String, in server: ServerProcess) -> Int { server.log.components(separatedBy: text).count - 1 }

    /// Waits for one more `text` line in the log than `before`.
    func waitForAnother(_ text: String, after before: Int, _ server: ServerProcess) -> Bool {
        ChildProcess.waitUntil(timeout: 10) { count(text, in: server) > before }
    }

    @Test("a reload may add a client CA (one warning naming it) but a client-CA file that drops one is refused")
    func clientCAChanges() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv cas other; cp server.pem server.key srv/; cp ca.pem cas/; \(RepoPaths.root)/Scripts/gen-certs --dir other >/dev/null")
        let server = try server(pki, clientCA: "cas/ca.pem")
        defer { server.stop() }
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        try pki.shell("cat ca.pem other/ca.pem >cas/.n; mv -f cas/.n cas/ca.pem")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("client CA added by a reload") }, "log: \(server.log)")
        let added = server.log.split(separator: "\n").first { $0.contains("client CA added by a reload") }.map(String.init) ?? ""
        #expect(added.contains("added=\"/CN=TLSChat Test CA\"") && added.contains("file=\(pki.path("cas/ca.pem"))"), "\(added)")
        let refusals = count("TLS reload refused", in: server)
        try pki.shell("cp other/ca.pem cas/.n; mv -f cas/.n cas/ca.pem")
        #expect(waitForAnother("TLS reload refused", after: refusals, server), "log: \(server.log)")
        #expect(server.log.contains("a reload may only add client CAs"), "log: \(server.log)")
        let again = try pki.sClient(port: server.port, cert: "alice.pem")
        defer { again.stop(signal: SIGKILL) }
        #expect(again.waitForOutput("HELLO chat/1 tlschatd tls alice cert"), "the old CA no longer works: \(again.stderr.text)")
    }

    /// An intermediate "Server Int" under the scratch CA, and server certificates under it:
    /// leaf-int.pem (chain leaf + intermediate) and leaf-short.pem (the leaf alone, a new key);
    /// noakid-same.pem (the scratch CA, no AKID) and noakid-other.pem (another CA of the same name, no AKID).
    static let chainSetup = """
        printf '%s\\n' '[req]' 'distinguished_name=dn' '[dn]' '[ca]' 'basicConstraints=critical,CA:TRUE' \\
          'keyUsage=critical,keyCertSign,cRLSign' 'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid:always' \\
          '[leaf]' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \\
          'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid,issuer' 'subjectAltName=DNS:localhost,IP:127.0.0.1' \\
          '[bare]' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \\
          'subjectKeyIdentifier=none' 'authorityKeyIdentifier=none' 'subjectAltName=DNS:localhost,IP:127.0.0.1' >ext.cnf
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
        sign() { openssl req -new -key "$1.key" -subj "$2" -config ext.cnf -out "$1.csr"
                 openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -days 30 -sha256 -set_serial 0x$(openssl rand -hex 16) \\
                   -extfile ext.cnf -extensions "$4" -out "$1.pem" 2>/dev/null; }
        key int.key; sign int '/CN=TLSChat Server Int' ca ca
        key leaf1.key; sign leaf1 /CN=localhost int leaf; cat leaf1.pem int.pem >leaf-int.pem
        key leaf2.key; sign leaf2 /CN=localhost int leaf; cp leaf2.pem leaf-short.pem
        key same.key; sign same /CN=localhost ca bare; cp same.pem noakid-same.pem
        mkdir other; \(RepoPaths.root)/Scripts/gen-certs --dir other >/dev/null
        key stranger.key; sign stranger /CN=localhost other/ca bare; cp stranger.pem noakid-other.pem
        mkdir srv; cp leaf-int.pem srv/server.pem; cp leaf1.key srv/server.key
        """

    @Test("the served chain may drop its intermediate (same issuer); without an AKID, the same CA is accepted by signature and another CA of the same name refused")
    func chainVariantsAndMissingKeyIdentifiers() throws {
        let pki = try ScratchPKI()
        try pki.shell(Self.chainSetup)
        let server = try server(pki)
        defer { server.stop() }
        let replacements: [(String, String, Bool)] = [
            ("leaf-short.pem", "leaf2.key", true), ("leaf-int.pem", "leaf1.key", true),
            ("noakid-other.pem", "stranger.key", false),
        ]
        for (chain, key, accepted) in replacements {
            let reloads = count("TLS configuration reloaded", in: server), refusals = count("TLS reload refused", in: server)
            try pki.shell("cp \(key) srv/.k; mv -f srv/.k srv/server.key; cp \(chain) srv/.c; mv -f srv/.c srv/server.pem")
            let serial = try pki.serial(chain)
            if accepted {
                #expect(ChildProcess.waitUntil(timeout: 10) {
                    count("TLS configuration reloaded", in: server) > reloads && server.log.contains("serial=\(serial)")
                }, "\(chain) was not accepted; log: \(server.log)")
            } else {
                #expect(waitForAnother("TLS reload refused", after: refusals, server), "\(chain) was not refused; log: \(server.log)")
                #expect(server.log.contains("wrong CA: issued by /CN=TLSChat Test CA (another key, or no key id to tell)"), "log: \(server.log)")
            }
        }
        // Served now: the scratch CA's leaf-int chain; a leaf without AKID from that same CA is fine.
        try pki.shell("cp server.key srv/.k; cp noakid-same.pem srv/.c; cp same.key srv/.k; mv -f srv/.k srv/server.key; mv -f srv/.c srv/server.pem")
        let same = try pki.serial("noakid-same.pem")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("serial=\(same)") }, "log: \(server.log)")
    }

    @Test("a file that keeps changing beside the certificate, or a watched file touched all the time, does not postpone the reload past about 1 s")
    func busyDirectory() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try server(pki)
        defer { server.stop() }
        let writer = try ChildProcess("bash", ["-c", "cd '\(pki.path("srv"))'; while :; do echo x >>busy.log; touch server.key; sleep 0.05; done"])
        defer { writer.stop(signal: SIGKILL) }
        let serial = try pki.issueServerCertificate(1)
        try pki.shell("cp new-1.key srv/.k; mv -f srv/.k srv/server.key; cp new-1.pem srv/.c; mv -f srv/.c srv/server.pem")
        // A reload at most ~1 s after the burst began, even while events keep coming.
        #expect(ChildProcess.waitUntil(timeout: 5) { pki.servedSerial(port: server.port) == serial }, "log: \(server.log)")
    }

    @Test("a certificate directory deleted and recreated is watched again: new files in it are served")
    func directoryRecreated() throws {
        let pki = try ScratchPKI()
        try pki.shell("mkdir srv; cp server.pem server.key srv/")
        let server = try server(pki)
        defer { server.stop() }
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))
        let refusals = count("TLS reload refused", in: server)
        try pki.shell("rm -rf srv")
        #expect(waitForAnother("TLS reload refused", after: refusals, server), "log: \(server.log)")
        let first = try pki.issueServerCertificate(1)
        try pki.shell("mkdir srv; cp new-1.pem srv/server.pem; cp new-1.key srv/server.key")
        #expect(ChildProcess.waitUntil(timeout: 5) { pki.servedSerial(port: server.port) == first }, "log: \(server.log)")
        let second = try pki.issueServerCertificate(2)
        try pki.shell("cp new-2.key srv/.k; mv -f srv/.k srv/server.key; cp new-2.pem srv/.c; mv -f srv/.c srv/server.pem")
        #expect(ChildProcess.waitUntil(timeout: 5) { pki.servedSerial(port: server.port) == second }, "log: \(server.log)")
        bob.send("PING still-here\n")
        #expect(bob.waitForOutput("OK PING still-here"))
    }

    @Test("without inotify (EMFILE at start) the reloader logs one warning and SIGHUP reloads still work")
    func noInotifyFallsBackToSighup() throws {
        let pki = TestPKI.shared
        let configuration = TLSConfiguration.server(certificateChainFile: pki.cert("server"), privateKeyFile: pki.key("server"),
                                                    clientCA: pki.cert("ca"))
        let loop = try EventLoop()
        let lines = CapturedLog()
        let logger = Logger(label: "reload-test") { _ in CapturingLogHandler(sink: lines) }
        let reloader = try TLSReloader(configuration: configuration, initial: try TLSContext(configuration), loop: loop,
                                       logger: logger, watch: true) { _, _, _ in throw Errno(rawValue: EMFILE) }
        defer { reloader.close() }
        #expect(lines.lines.filter { $0.contains("reloaded on SIGHUP only") }.count == 1, "\(lines.lines)")
        let before = reloader.contexts.current
        reloader.reload(trigger: "SIGHUP")
        #expect(reloader.contexts.current !== before, "\(lines.lines)")
        #expect(lines.lines.contains { $0.contains("TLS configuration reloaded") }, "\(lines.lines)")
    }
}

final class CapturedLog: @unchecked Sendable {
    var lines: [String] = []
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        sink.lines.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
    }
}
