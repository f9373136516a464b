// ConfigReloadTests: tlschatd started with --config re-reads the file when it
// changes and on SIGHUP, while an openssl s_client session stays connected.
// A broken file (a wrong type) is refused with one log line naming the file
// and the key, and chat goes on under the old settings. Lowering
// command-burst, commands-per-second and max-line in the file applies to the
// connected client (CAP LS tells the new values, ERR RATE_LIMITED, then ERR
// LINE_TOO_LONG at the new bound), the reload is logged with the keys
// applied, and a key that needs a restart (lobby) is logged once as such.
// New certificate paths in the file pass the certificate reload's checks.
// Every wait has a deadline.
import Foundation
import Testing

@Suite("Config file reload", .serialized)
struct ConfigReloadTests {
    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)  // in place: a plain write must count
    }

    func count(_ text: String, in log: String) -> Int { log.components(separatedBy: text).count - 1 }

    @Test("a changed config applies to connected clients; a broken one is refused with one line; SIGHUP reloads")
    func reloadWhileConnected() throws {
        let pki = try ScratchPKI()
        let config = pki.path("tlschatd.toml")
        try write("command-burst = 40\ncommands-per-second = 20\nmax-line = 4096\n", to: config)
        let server = try ServerProcess(["--config", config, "--client-ca", pki.path("ca.pem")], clientCA: false,
                                       certificate: (pki.path("server.pem"), pki.path("server.key")))
        defer { server.stop() }
        let bob = try pki.sClient(port: server.port, cert: "bob.pem")
        defer { bob.stop(signal: SIGKILL) }
        #expect(bob.waitForOutput("HELLO chat/1 tlschatd tls bob cert"))

        // Broken: refused with one line naming the file and key; chat goes on.
        try write("command-burst = 40\ncommands-per-second = 20\nmax-line = \"short\"\n", to: config)
        #expect(ChildProcess.waitUntil(timeout: 10) { count("config reload refused", in: server.log) == 1 }, "\(server.log)")
        let refusal = server.log.split(separator: "\n").first { $0.contains("config reload refused") }.map(String.init) ?? ""
        #expect(refusal.contains("\(config):3: key 'max-line' must be an integer"), "\(refusal)")
        bob.send("PING still-here\n")
        #expect(bob.waitForOutput("OK PING still-here"), "\(bob.stdout.text)")

        // Lowered limits reach the connected client.
        try write("command-burst = 2\ncommands-per-second = 0.2\nmax-line = 64\nlobby = \"#elsewhere\"\n", to: config)
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("configuration reloaded") }, "\(server.log)")
        let reloaded = server.log.split(separator: "\n").first { $0.contains("configuration reloaded") }.map(String.init) ?? ""
        #expect(reloaded.contains("applied=command-burst,commands-per-second,max-line"), "\(reloaded)")
        #expect(count("needs a restart: lobby", in: server.log) == 1, "\(server.log)")
        bob.send("CAP LS\n")
        #expect(bob.waitForOutput("line=64"), "CAP LS does not tell the new limits: \(bob.stdout.text)")
        bob.send("PING a\nPING b\nPING c\nPING d\n")
        #expect(bob.waitForOutput("ERR RATE_LIMITED"), "the new rate did not apply: \(bob.stdout.text)")
        bob.send("PING " + String(repeating: "x", count: 100) + "\n")
        #expect(bob.waitForOutput("ERR LINE_TOO_LONG line longer than 64 bytes"), "the new line bound did not apply: \(bob.stdout.text)")

        // SIGHUP reloads the file too; the restart-only key is not reported again.
        kill(server.child.pid, SIGHUP)
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("trigger=SIGHUP") && server.log.contains("applied=nothing") },
                "\(server.log)")
        #expect(count("needs a restart: lobby", in: server.log) == 1, "\(server.log)")
    }

    @Test("new certificate paths in the config pass the reload checks: a good pair is served, a mismatched key is refused")
    func certificatePathsChange() throws {
        let pki = try ScratchPKI()
        let config = pki.path("tlschatd.toml")
        try pki.shell("mkdir srv; cp server.pem server.key srv/")  // issueServerCertificate renews server.pem
        try write("cert = \"srv/server.pem\"\nkey = \"srv/server.key\"\nclient-ca = \"ca.pem\"\n", to: config)
        let server = try ServerProcess(["--config", config], clientCA: false, certificateFlags: false)
        defer { server.stop() }
        let first = try pki.serial("srv/server.pem")
        #expect(pki.servedSerial(port: server.port) == first)
        let renewed = try pki.issueServerCertificate(1)
        try write("cert = \"new-1.pem\"\nkey = \"srv/server.key\"\nclient-ca = \"ca.pem\"\n", to: config)
        #expect(ChildProcess.waitUntil(timeout: 10) { count("config reload refused", in: server.log) == 1 }, "\(server.log)")
        let refusal = server.log.split(separator: "\n").first { $0.contains("config reload refused") }.map(String.init) ?? ""
        #expect(refusal.contains("key values mismatch"), "\(refusal)")
        #expect(pki.servedSerial(port: server.port) == first)
        try write("cert = \"new-1.pem\"\nkey = \"new-1.key\"\nclient-ca = \"ca.pem\"\n", to: config)
        #expect(ChildProcess.waitUntil(timeout: 10) { pki.servedSerial(port: server.port) == renewed }, "\(server.log)")
        #expect(server.log.contains("applied=cert,key"), "\(server.log)")
    }
}
