// CheckCommandTests: `tlschatd check --config FILE` against a scratch PKI:
// a good config and PKI passes (exit 0) and prints what it would serve;
// each broken case (expired certificate, a key that does not match, no
// subjectAltName, a stale CRL, a CRL from another CA of the same name, a bad
// config value) fails (exit 1) with a line naming the problem. A cluster
// config shows its NATS URLs without their passwords and the credentials the
// node would present by kind (a key by its public half only), and fails on
// a credential file the node could not use or a user JWT that expired.
import Foundation
import Testing

@Suite("tlschatd check", .serialized)
struct CheckCommandTests {
    nonisolated(unsafe) static let pki = Result { try ScratchPKI(badCertificates: true) }  // serialized suite: one PKI for all cases

    func check(_ config: String, _ pki: ScratchPKI, name: String) throws -> Subprocess.Result {
        let path = pki.path("\(name).toml")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        return Subprocess.run(RepoPaths.executable("tlschatd"), ["check", "--config", path], timeout: 30)
    }

    static let good = "cert = \"server.pem\"\nkey = \"server.key\"\nclient-ca = \"ca.pem\"\ncrl = \"crl.pem\"\nlisten = [\"127.0.0.1:2222\"]\nirc-listen = [\"127.0.0.1:6697\"]\nhistory = \"none\"\n"

    @Test("a good config and PKI: exit 0, every check ok, and what would be served")
    func goodPasses() throws {
        let pki = try Self.pki.get()
        let result = try check(Self.good, pki, name: "good")
        #expect(result.status == 0, "\(result.output)")
        for expected in ["ok   names: DNS:localhost", "days left", "fresh until", "signed by that client CA",
                         "listen 127.0.0.1:2222: chat/1 over TLS", "listen 127.0.0.1:6697: IRC over TLS",
                         "client certificates: optional", "history: none", "check passed"] {
            #expect(result.output.contains(expected), "missing '\(expected)': \(result.output)")
        }
        #expect(!result.output.contains("FAIL"), "\(result.output)")
    }

    @Test("each broken case: exit 1 and a line naming the problem", arguments: [
        ("expired", "cert = \"expired-server.pem\"\nkey = \"expired-server.key\"\n", "it expired on"),
        ("key-mismatch", "cert = \"server.pem\"\nkey = \"bob.key\"\n", "key values mismatch"),
        ("no-san", "cert = \"nosan-server.pem\"\nkey = \"nosan-server.key\"\n", "has no subjectAltName"),
        ("stale-crl", "cert = \"server.pem\"\nkey = \"server.key\"\ncrl = \"stale-crl.pem\"\n", "is stale: its nextUpdate 2020-02-01"),
        ("wrong-ca", "cert = \"server.pem\"\nkey = \"server.key\"\ncrl = \"other/crl.pem\"\n", "wrong CA"),
        ("bad-value", "cert = \"server.pem\"\nkey = \"server.key\"\nmax-clients = 0\n", "key 'max-clients'"),
    ])
    func brokenFails(_ name: String, _ config: String, _ expected: String) throws {
        let pki = try Self.pki.get()
        if name == "stale-crl" && !FileManager.default.fileExists(atPath: pki.path("stale-crl.pem")) {
            try pki.shell("openssl ca -batch -gencrl -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key "
                + "-crl_lastupdate 20200101000000Z -crl_nextupdate 20200201000000Z -out stale-crl.pem 2>/dev/null")
        }
        if name == "wrong-ca" && !FileManager.default.fileExists(atPath: pki.path("other/crl.pem")) {
            try pki.shell("mkdir -p other; \(RepoPaths.root)/Scripts/gen-certs --dir other >/dev/null")
        }
        let result = try check(config + "client-ca = \"ca.pem\"\nhistory = \"none\"\nlisten = [\"127.0.0.1:0\"]\n", pki, name: name)
        #expect(result.status == 1, "\(name): \(result.output)")
        let failures = result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(failures.contains { $0.contains(expected) }, "\(name): no FAIL line with '\(expected)': \(result.output)")
        #expect(result.output.contains("check failed"), "\(result.output)")
    }

    @Test("a cluster config: URLs without passwords, credentials named by kind and public key, a bad seed fails")
    func clusterCredentials() throws {
        let pki = try Self.pki.get()
        let tls = "cert = \"server.pem\"\nkey = \"server.key\"\nlisten = [\"127.0.0.1:0\"]\n"
        let inURL = try check(tls + "cluster = [\"nats://node:s3cretpw@127.0.0.1:4222\"]\n", pki, name: "cluster-url")
        #expect(inURL.status == 0, "\(inURL.output)")
        #expect(inURL.output.contains("cluster main through nats://") && inURL.output.contains("cluster credentials: in the NATS URLs"),
                "\(inURL.output)")
        #expect(!inURL.output.contains("s3cretpw"), "a URL's password was printed: \(inURL.output)")

        let setup = try NATSOperatorSetup(directory: pki.directory)
        let creds = try setup.writeUserCredentials(named: "checked")
        let seed = try #require(try String(contentsOfFile: creds, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("SU") })
        let good = try check(tls + "cluster = [\"nats://127.0.0.1:4222\"]\ncluster-creds = \"\(creds)\"\n", pki, name: "cluster-creds")
        #expect(good.status == 0 && good.output.contains("ok   cluster credentials: a user JWT for U"), "\(good.output)")
        #expect(good.output.contains("never expires"), "\(good.output)")
        #expect(!good.output.contains(seed), "the seed was printed: \(good.output)")

        // Expiring 2027-01-15 08:00 UTC, then one that expired 2001-09-09 01:46 UTC.
        let later = try setup.writeUserCredentials(named: "later", expires: 1_800_000_000)
        let dated = try check(tls + "cluster = [\"nats://127.0.0.1:4222\"]\ncluster-creds = \"\(later)\"\n", pki, name: "cluster-later")
        #expect(dated.status == 0 && dated.output.contains("expires 2027-01-15 08:00 UTC"), "\(dated.output)")
        let expired = try setup.writeUserCredentials(named: "expired", expires: 1_000_000_000)
        let old = try check(tls + "cluster = [\"nats://127.0.0.1:4222\"]\ncluster-creds = \"\(expired)\"\n", pki, name: "cluster-expired")
        #expect(old.status == 1, "\(old.output)")
        #expect(old.output.split(separator: "\n").contains { $0.hasPrefix("FAIL cluster credentials:") && $0.contains("expired on 2001-09-09 01:46 UTC") },
                "\(old.output)")

        try "SUNOTASEED\n".write(toFile: pki.path("bad.nk"), atomically: true, encoding: .utf8)
        let bad = try check(tls + "cluster = [\"nats://127.0.0.1:4222\"]\ncluster-nkey-file = \"bad.nk\"\n", pki, name: "cluster-bad-seed")
        #expect(bad.status == 1, "\(bad.output)")
        #expect(bad.output.split(separator: "\n").contains { $0.hasPrefix("FAIL cluster credentials:") && $0.contains("58 characters") },
                "\(bad.output)")
        #expect(!bad.output.contains("SUNOTASEED"), "the seed was printed: \(bad.output)")
    }
}
