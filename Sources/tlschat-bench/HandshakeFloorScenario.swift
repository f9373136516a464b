// HandshakeFloorScenario: the OpenSSL floor under the handshake scenario.
// Runs full TLS 1.3 handshakes in memory (no sockets, no server process)
// with the same TLS settings tlschatd and tlschat use, and reports what one
// costs the server side inside OpenSSL, as handshakes per CPU-second. With
// --cert/--key the client presents a certificate and the server (given the
// CA) verifies it, as tlschatd with --client-ca does. It does not measure any
// running server, its I/O or its own work.
import ArgumentParser
import ChatNet

struct HandshakeFloorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "handshake-floor",
        abstract: "In-memory TLS handshakes with tlschatd's settings: OpenSSL's own cost per handshake (server side).")

    @Option(help: "Server certificate chain (PEM).") var serverCert = "Certs/server.pem"
    @Option(help: "Server private key (PEM).") var serverKey = "Certs/server.key"
    @Option(help: "CA that signed the server (and, with --cert, the client).") var ca = "Certs/ca.pem"
    @Option(help: "Name the client expects in the server certificate.") var serverName = "localhost"
    @Option(help: "Client certificate chain (PEM): the server requests and verifies it.") var cert: String?
    @Option(help: "Client private key (PEM).") var key: String?
    @Option(help: "Handshakes measured.") var handshakes = 2000
    @Flag(help: "One JSON object instead of a table.") var json = false

    func validate() throws {
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        guard handshakes >= 1, handshakes <= 100_000 else { throw ValidationError("--handshakes must be 1...100000") }
    }

    func run() throws {
        let server = try TLSContext(.server(certificateChainFile: serverCert, privateKeyFile: serverKey,
                                            clientCA: cert == nil ? nil : ca))
        let client = try TLSContext(.client(trustRoots: .file(ca), certificateChainFile: cert, privateKeyFile: key))
        let seconds = try server.measureServerHandshakeCost(against: client, serverName: serverName, count: handshakes)
        var report = Report()
        report.add("scenario", "handshake-floor")
        report.add("client_certificate", .bool(cert != nil))
        report.add("handshakes", handshakes)
        report.add("server_cpu_us_per_handshake", seconds * 1e6)
        report.add("handshakes_per_server_cpu_second", 1 / seconds)
        report.print(asJSON: json)
    }
}
