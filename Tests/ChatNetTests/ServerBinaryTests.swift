// ServerBinaryTests: the tlschatd executable as an operator meets it: clear
// one-line errors and a non-zero exit for bad configuration, a graceful
// SIGTERM shutdown (clients told, exit 0), and responsiveness to a new client
// while 1,000 idle TLS connections are held (bounded, loopback only).
@testable import ChatNet
import Foundation
import Testing

@Suite("tlschatd binary", .serialized)
struct ServerBinaryTests {
    let pki = TestPKI.shared

    func runServer(_ arguments: [String]) -> Subprocess.Result {
        Subprocess.run(RepoPaths.executable("tlschatd"), arguments + ["--history", "none"], timeout: 20)
    }

    @Test("bad configuration: one clear error line and a non-zero exit", arguments: [
        "missing-cert", "mismatched-key", "unreadable-ca", "bad-address", "cert-only-lobby", "cert-only-bad-name",
    ])
    func badConfiguration(_ which: String) {
        var arguments = ["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:0"]
        let expected: String
        switch which {
        case "missing-cert":
            arguments[1] = "/nonexistent.pem"
            expected = "reading certificate chain /nonexistent.pem: No such file or directory"
        case "mismatched-key":
            arguments[3] = pki.key("bob")
            expected = "key values mismatch"
        case "unreadable-ca":
            arguments += ["--client-ca", "/nonexistent-ca.pem"]
            expected = "reading CA file /nonexistent-ca.pem"
        case "cert-only-lobby":
            arguments += ["--cert-only-room", "#Lobby"]
            expected = "--cert-only-room #Lobby is the starting room (--lobby), which admits everyone"
        case "cert-only-bad-name":
            arguments += ["--cert-only-room", "staff"]
            expected = "--cert-only-room 'staff' is not a room name"
        default:
            arguments[5] = "127.0.0.1"
            expected = "malformed address '127.0.0.1'"
        }
        let result = runServer(arguments)
        #expect(result.status != 0)
        #expect(result.output.contains(expected), "output: \(result.output)")
        #expect(!result.output.contains("listening"))
    }

    @Test("a port already in use is a clear error")
    func portInUse() throws {
        let first = try ServerProcess()
        defer { first.stop() }
        let result = runServer(["--cert", pki.cert("server"), "--key", pki.key("server"), "--listen", "127.0.0.1:\(first.port)"])
        #expect(result.status != 0)
        #expect(result.output.contains("cannot listen on 127.0.0.1:\(first.port)"), "output: \(result.output)")
        #expect(result.output.contains("Address already in use"))
    }

    @Test("SIGTERM tells connected clients, closes them cleanly and exits 0")
    func gracefulShutdown() throws {
        let server = try ServerProcess()
        let client = try ChildProcess("openssl", ["s_client", "-connect", "127.0.0.1:\(server.port)", "-CAfile", pki.cert("ca"),
                                                  "-verify_return_error", "-quiet"])
        defer { client.stop(signal: SIGKILL) }
        #expect(client.waitForOutput("HELLO chat/1"))
        #expect(server.stop() == 0)
        #expect(client.waitForOutput("NOTICE shutdown server is shutting down\n"))
        #expect(server.log.contains("received signal 15, shutting down"))
        #expect(server.log.contains("stopped"))
    }

    @Test("with 1,000 idle TLS connections held, a new client still gets its reply promptly")
    func thousandIdleConnections() throws {
        let server = try ServerProcess(["--max-clients-per-address", "2000", "--first-command-timeout", "600"])
        defer { server.stop() }
        let loop = try EventLoop()
        let context = try TLSContext(.client(trustRoots: .file(pki.cert("ca"))))
        let address = try SocketAddress.resolve(host: "127.0.0.1", port: server.port)[0]
        var idle: [(TLSConnection, RecordingDelegate)] = []
        defer {
            for (connection, _) in idle { connection.close(.immediate) }
            _ = try? loop.run(for: .milliseconds(200)) { false }
        }
        func connect() throws -> (TLSConnection, RecordingDelegate) {
            let connection = try TLSConnection.connect(to: address, serverName: "localhost", loop: loop, context: context)
            let delegate = RecordingDelegate()
            delegate.keepBytes = false
            connection.delegate = delegate
            try connection.start()
            return (connection, delegate)
        }
        for _ in 0..<1000 {
            idle.append(try connect())
            if idle.count % 50 == 0 { _ = try loop.run(for: .milliseconds(1)) { false } }  // keep the backlog short
        }
        #expect(try loop.run(for: .seconds(120)) { idle.allSatisfy { $0.1.opened || $0.1.closeReason != nil } })
        #expect(idle.filter { $0.1.opened && $0.1.closeReason == nil }.count == 1000)
        _ = try loop.run(for: .milliseconds(300)) { false }  // let the greetings and join events drain
        let newcomer = try connect()
        newcomer.1.keepBytes = true
        idle.append(newcomer)
        #expect(try loop.run(for: .seconds(10)) { newcomer.1.text.contains("HELLO chat/1") })
        let sent = MonotonicClock.now()
        newcomer.0.write("SAY still responsive?\n")
        #expect(try loop.run(for: .seconds(5)) { newcomer.1.text.contains("OK SAY #lobby sent 1000/1000\n") })
        let elapsed = Double(MonotonicClock.now() - sent) / 1e9
        #expect(elapsed < 2.0, "round trip took \(elapsed) s with 1,000 idle connections")
    }
}
