// ConfigBinaryTests: tlschatd --config as an operator meets it: a bad file
// stops the server with exactly one line on stderr naming the file, line and
// key, and exit status 64; a flag on the command line wins over the file (a
// repeatable one replaces the file's list: the file's unusable listen address
// is never tried).
import Foundation
import Testing

@Suite("tlschatd --config binary", .serialized)
struct ConfigBinaryTests {
    @Test("a bad config file: one line naming the file, line and key, exit 64", arguments: [
        ("max-clients = 5\nmax-client = 5\n", ":2: unknown key 'max-client' (did you mean 'max-clients'?)"),
        ("max-line = 0\n", ":1: key 'max-line': --max-line must be 1...1048576 bytes"),
        ("tls-policy = \"old\"\n", ":1: key 'tls-policy' must be one of modern, intermediate, not 'old'"),
        ("listen = [\"127.0.0.1:0\"\nmax-line = 5\n", ":2: not valid TOML: Error while parsing array: expected comma or closing ']'"),
    ])
    func badFile(_ text: String, _ expected: String) throws {
        let pki = try ScratchPKI()
        let config = pki.path("bad.toml")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let result = Subprocess.run(RepoPaths.executable("tlschatd"), ["--config", config, "--cert", pki.path("server.pem"),
                                                                        "--key", pki.path("server.key"), "--history", "none"], timeout: 20)
        #expect(result.status == 64, "\(result.output)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 1, "\(result.output)")
        #expect(result.output.hasPrefix("tlschatd: error: \(config)\(expected)"), "\(result.output)")
    }

    @Test("the command line wins: --listen replaces the file's list, --max-line the file's value")
    func commandLineWins() throws {
        let pki = try ScratchPKI()
        let config = pki.path("tlschatd.toml")
        try "listen = [\"192.0.2.1:1\"]\nmax-line = 0\n".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--config", config, "--max-line", "100"], clientCA: false,
                                       certificate: (pki.path("server.pem"), pki.path("server.key")))
        defer { server.stop() }
        #expect(server.port > 0)
        #expect(!server.log.contains("192.0.2.1"), "\(server.log)")
    }
}
