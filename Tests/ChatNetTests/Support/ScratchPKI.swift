// ScratchPKI: a test PKI of one test's own, in its own temporary directory
// (removed at deinit), made by Scripts/gen-certs and, on request,
// Tests/Fixtures/make-bad-certs.sh. Tests that revoke, renew or replace
// certificates use it, so they never change the shared TestPKI. `shell` runs
// openssl and file operations there (a bash script with $D set to the
// directory), failing the test on a non-zero exit; a few helpers the
// revocation and reload suites share (a fresh server certificate, a tlschatd
// that must refuse a CRL file, the served serial, s_client) sit beside it.
import Foundation
import Testing

final class ScratchPKI {
    let directory: String

    init(badCertificates: Bool = false) throws {
        directory = NSTemporaryDirectory() + "tlschat-scratch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try genCerts([])
        if badCertificates {
            let result = Subprocess.run(RepoPaths.root + "/Tests/Fixtures/make-bad-certs.sh",
                                        [path("ca.pem"), path("ca.key"), directory], timeout: 60)
            guard result.status == 0 else { throw TestFailure("make-bad-certs.sh failed: \(result.output)") }
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ file: String) -> String { "\(directory)/\(file)" }

    /// Scripts/gen-certs ARGUMENTS --dir DIRECTORY; returns its output.
    @discardableResult
    func genCerts(_ arguments: [String]) throws -> String {
        let result = Subprocess.run(RepoPaths.root + "/Scripts/gen-certs", arguments + ["--dir", directory], timeout: 60)
        guard result.status == 0 else { throw TestFailure("gen-certs \(arguments) failed: \(result.output)") }
        return result.output
    }

    /// Runs a bash script in the directory ($D is set to it); returns its output.
    @discardableResult
    func shell(_ script: String) throws -> String {
        let result = Subprocess.run("bash", ["-c", "set -euo pipefail; D='\(directory)'; cd \"$D\"\n" + script], timeout: 60)
        guard result.status == 0 else { throw TestFailure("script failed (\(result.status)): \(script)\n\(result.output)") }
        return result.output
    }

    /// The serial (uppercase hex) of a certificate file.
    func serial(_ file: String) throws -> String {
        try shell("openssl x509 -in '\(file)' -noout -serial | cut -d= -f2").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Issues a fresh server certificate (new key) and copies it to new-N.pem / new-N.key; its serial.
    func issueServerCertificate(_ n: Int) throws -> String {
        try genCerts(["renew", "server"])
        try shell("cp server.pem new-\(n).pem; cp server.key new-\(n).key")
        return try serial("new-\(n).pem")
    }

    /// tlschatd started with this PKI's server certificate, client CA and `--crl FILE`, expected
    /// to refuse to start: its exit status and output.
    func serverRefusing(crl file: String) -> Subprocess.Result {
        Subprocess.run(RepoPaths.executable("tlschatd"), [
            "--cert", path("server.pem"), "--key", path("server.key"), "--client-ca", path("ca.pem"),
            "--crl", path(file), "--listen", "127.0.0.1:0", "--history", "none"], timeout: 20)
    }

    /// The serial of the certificate a server on `port` sends now (Python's ssl, verifying it), or nil.
    func servedSerial(port: Int) -> String? {
        let script = """
            import socket, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[1])
            with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                    print(tls.getpeercert()["serialNumber"])
            """
        let result = Subprocess.run("python3", ["-c", script, path("ca.pem"), String(port)], timeout: 10)
        return result.status == 0 ? result.output.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// openssl s_client to `port` with a client certificate (and optional extra chain) from this PKI.
    func sClient(port: Int, cert: String?, key: String? = nil, chain: String? = nil) throws -> ChildProcess {
        var arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", path("ca.pem"), "-verify_return_error",
                         "-servername", "localhost", "-quiet"]
        if let cert { arguments += ["-cert", path(cert), "-key", path(key ?? cert.replacingOccurrences(of: ".pem", with: ".key"))] }
        if let chain { arguments += ["-cert_chain", path(chain)] }
        return try ChildProcess("openssl", arguments)
    }
}
