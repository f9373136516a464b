// ServerPinningTests: tlschat --pin and --print-pin against the real tlschatd.
// A right pin connects with --ca (verification AND the pin) and without it,
// against a self-signed server certificate made here with openssl (the pin
// replaces the CA and the name check); a wrong pin fails before anything is
// sent (exit 3, the expected and the received pin printed, the server's log
// shows the handshake failed and no session); with two pins one match is
// enough (rotation); a malformed pin is refused at start. --print-pin prints
// what `Scripts/gen-certs pin` and an independent openssl pipeline compute,
// and says whether the server was verified; without --ca it refuses --cert (a
// client certificate is never shown to an unverified server) and it refuses
// --starttls. Every wait polls a condition with
// a deadline; the servers are ended by PID.
import Foundation
import Testing

@Suite("tlschat server key pinning", .serialized)
struct ServerPinningTests {
    let pki = TestPKI.shared
    let client = RepoPaths.executable("tlschat")

    func chat(_ arguments: [String], script: String = "/whoami\n") -> Subprocess.Result {
        Subprocess.run(client, arguments, input: script, timeout: 30)
    }

    /// The pin of `certificate` by Scripts/gen-certs pin.
    func scriptPin(_ certificate: String) -> String {
        let result = Subprocess.run(RepoPaths.root + "/Scripts/gen-certs", ["pin", certificate])
        #expect(result.status == 0, "\(result.output)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The pin of `certificate` computed with openssl alone, without our code.
    func opensslPin(_ certificate: String, hex: Bool = false) -> String {
        let encode = hex ? "od -An -v -tx1 | tr -d ' \\n'" : "base64"
        let result = Subprocess.run("bash", ["-c", "openssl x509 -in '\(certificate)' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | \(encode)"])
        #expect(result.status == 0, "\(result.output)")
        return "sha256:" + result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A self-signed server certificate (serverAuth, not a CA) for selfsigned.example in a fresh directory.
    func selfSignedServer() throws -> (certificate: String, key: String, directory: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlschat-pin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = Subprocess.run("openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
            "-keyout", directory + "/self.key", "-out", directory + "/self.pem", "-subj", "/CN=selfsigned.example",
            "-addext", "basicConstraints=critical,CA:FALSE", "-addext", "keyUsage=critical,digitalSignature",
            "-addext", "extendedKeyUsage=serverAuth", "-addext", "subjectAltName=DNS:selfsigned.example"])
        #expect(result.status == 0, "\(result.output)")
        return (directory + "/self.pem", directory + "/self.key", directory)
    }

    static let wrongPin = "sha256:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    @Test("with --ca, a right pin (base64 or hex) connects and chats")
    func rightPinWithCA() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        for pin in [scriptPin(pki.cert("server")), opensslPin(pki.cert("server"), hex: true)] {
            let result = chat(["127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"), "--pin", pin])
            #expect(result.status == 0, "\(pin): \(result.output)")
            #expect(result.output.contains("OK WHOAMI ~guest"), "\(result.output)")
        }
    }

    @Test("without --ca, a right pin accepts a self-signed server certificate for another name; without the pin it is refused")
    func rightPinSelfSigned() throws {
        let made = try selfSignedServer()
        defer { try? FileManager.default.removeItem(atPath: made.directory) }
        let server = try ServerProcess(["--cert", made.certificate, "--key", made.key])
        defer { server.stop() }
        let pinned = chat(["127.0.0.1", "--port", "\(server.port)", "--pin", opensslPin(made.certificate)])
        #expect(pinned.status == 0, "\(pinned.output)")
        #expect(pinned.output.contains("HELLO chat/1 tlschatd tls ~guest1 tls #lobby"), "\(pinned.output)")
        let unpinned = chat(["127.0.0.1", "--port", "\(server.port)"])
        #expect(unpinned.status == 3, "\(unpinned.output)")
        #expect(unpinned.output.contains("self-signed"), "\(unpinned.output)")
        let withCA = chat(["127.0.0.1", "--port", "\(server.port)", "--ca", pki.cert("ca"), "--pin", opensslPin(made.certificate)])
        #expect(withCA.status == 3, "with --ca the chain must still verify: \(withCA.output)")
    }

    @Test("a wrong pin: exit 3, both pins printed, the server saw a failed handshake and no command", arguments: [true, false])
    func wrongPin(withCA: Bool) throws {
        let server = try ServerProcess()
        defer { server.stop() }
        var arguments = ["127.0.0.1", "--port", "\(server.port)", "--pin", Self.wrongPin]
        if withCA { arguments += ["--ca", pki.cert("ca")] }
        let result = chat(arguments, script: "/join #pinned\nhello\n")
        #expect(result.status == 3, "\(result.output)")
        #expect(result.output.contains("matches none of your --pin values"), "\(result.output)")
        #expect(result.output.contains("expected \(Self.wrongPin), received \(opensslPin(pki.cert("server")))"), "\(result.output)")
        #expect(!result.output.contains("HELLO"))
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("connection failed before the chat started") }, "\(server.log)")
        #expect(!server.log.contains("[ChatServerKit] connected"), "no session was opened: \(server.log)")
    }

    @Test("rotation: two pins, the second matching, connect; the mismatch shows hex when the pins were hex")
    func rotation() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let right = opensslPin(pki.cert("server"), hex: true)
        let rotated = chat(["127.0.0.1", "--port", "\(server.port)", "--pin", Self.wrongPin, "--pin", right])
        #expect(rotated.status == 0, "\(rotated.output)")
        let wrongHex = "sha256:" + String(repeating: "ab", count: 32)
        let bothWrong = chat(["127.0.0.1", "--port", "\(server.port)", "--pin", wrongHex, "--pin", Self.wrongPin])
        #expect(bothWrong.status == 3, "\(bothWrong.output)")
        #expect(bothWrong.output.contains("expected \(wrongHex) or sha256:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f, received \(right)"),
                "\(bothWrong.output)")
    }

    @Test("a malformed pin is refused at start with the reason", arguments: ["sha256:abc", "md5:00", "sha256:" + String(repeating: "z", count: 64)])
    func malformedPin(_ pin: String) {
        let result = chat(["127.0.0.1", "--port", "1", "--pin", pin])
        #expect(result.status == 64, "\(result.output)")
        #expect(result.output.contains("pin '\(pin)'"), "\(result.output)")
    }

    @Test("--print-pin equals Scripts/gen-certs pin and openssl's own computation; it says whether the server was verified")
    func printPin() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let expected = opensslPin(pki.cert("server"))
        #expect(scriptPin(pki.cert("server")) == expected)
        let unverified = chat(["--print-pin", "127.0.0.1:\(server.port)"], script: "")
        #expect(unverified.status == 0, "\(unverified.output)")
        #expect(unverified.output.split(separator: "\n").contains { $0 == expected }, "\(unverified.output)")
        #expect(unverified.output.contains("was NOT verified"), "\(unverified.output)")
        let verified = chat(["--print-pin", "127.0.0.1:\(server.port)", "--ca", pki.cert("ca")], script: "")
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.split(separator: "\n").contains { $0 == expected }, "\(verified.output)")
        #expect(verified.output.contains("was verified for 127.0.0.1"), "\(verified.output)")
        let untrusted = chat(["--print-pin", "127.0.0.1:\(server.port)", "--ca", pki.cert("other-ca")], script: "")
        #expect(untrusted.status == 3, "\(untrusted.output)")
        #expect(!untrusted.output.contains(expected), "nothing printed for a server that failed verification")
        // tlschatd greets every TLS client; --print-pin closes without a word (not even BYE).
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.components(separatedBy: "reason=peer-closed").count == 3 }, "\(server.log)")
        #expect(!server.log.contains("reason=bye"), "\(server.log)")
    }

    @Test("--print-pin never shows a client certificate to an unverified server; with --ca it may; --print-pin with --starttls is refused")
    func printPinCertificateAndStartTLS() throws {
        let server = try ServerProcess()
        defer { server.stop() }
        let alice = ["--cert", pki.cert("alice"), "--key", pki.key("alice")]
        let unverified = chat(["--print-pin", "127.0.0.1:\(server.port)"] + alice, script: "")
        #expect(unverified.status == 64, "\(unverified.output)")
        #expect(unverified.output.contains("--print-pin without --ca does not verify the server, so it never sends a client certificate"),
                "\(unverified.output)")
        let verified = chat(["--print-pin", "127.0.0.1:\(server.port)", "--ca", pki.cert("ca")] + alice, script: "")
        #expect(verified.status == 0, "\(verified.output)")
        #expect(ChildProcess.waitUntil(timeout: 10) { server.log.contains("name=alice") }, "\(server.log)")
        #expect(server.log.components(separatedBy: "[ChatServerKit] connected").count == 2, "only the verified one connected: \(server.log)")
        let startTLS = chat(["--print-pin", "127.0.0.1:\(server.port)", "--starttls", "--ca", pki.cert("ca")], script: "")
        #expect(startTLS.status == 64, "\(startTLS.output)")
        #expect(startTLS.output.contains("--print-pin speaks TLS from the first byte"), "\(startTLS.output)")
    }
}
