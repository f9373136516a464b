// tlschat-bench: a load generator for chat servers in the style of
// redis-benchmark: `fanout`, `idle` and `handshake` scenarios over TLS (or
// plain TCP), speaking chat/1, IRC or ncat's line chat, all connections on
// one ChatNet event loop. This file parses the options shared by every
// scenario and turns them into a `BenchTarget`; the scenarios live in their
// own files. It only talks to loopback addresses, and every run is bounded in
// time and count.
import ArgumentParser
import ChatCore
import ChatNet

@main
struct BenchMain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tlschat-bench",
        abstract: "Benchmark a chat server (tlschatd, an IRC server, ncat --chat) on loopback.",
        discussion: "Prints a table, or one JSON object with --json. Give --server-pid to measure the server's CPU time and memory.",
        version: TLSChatVersion.string,
        subcommands: [FanoutCommand.self, IdleCommand.self, HandshakeCommand.self, HandshakeFloorCommand.self,
                      SendFloorCommand.self])
}

/// Options every scenario takes.
struct TargetOptions: ParsableArguments {
    @Option(help: "Server address (loopback only).")
    var host = "127.0.0.1"

    @Option(help: "Server port.")
    var port: Int = 2222

    @Option(help: "What the server speaks: chat1 (tlschatd), irc (ngIRCd, InspIRCd) or lines (ncat --chat).")
    var dialect: Dialect = .chat1

    @Flag(help: "Plain TCP instead of TLS.")
    var plain = false

    @Option(help: "CA (PEM) that signed the server certificate.")
    var ca = "Certs/ca.pem"

    @Option(help: "Client certificate (PEM) to present; needs --key.")
    var cert: String?

    @Option(help: "Private key of --cert.")
    var key: String?

    @Option(help: "Name to verify in the server certificate (default: --host).")
    var serverName: String?

    @Option(help: "PID of the server process: its CPU time and RSS are measured from /proc (repeatable: the sum over all, e.g. every node of a cluster and its NATS servers).")
    var serverPid: [Int32] = []

    @Option(help: "Another port of the same service (repeatable, e.g. the other nodes of a cluster): client i connects to the i-th of --port and these, cycling.")
    var alsoPort: [Int] = []

    @Option(help: "What the server speaks on the --also-port ports (default: --dialect), e.g. irc for tlschatd's --irc-listen port while --port is chat1: client i connects to the i-th of --port and --also-port and speaks that port's dialect.")
    var alsoPortDialect: Dialect?

    @Option(help: "The room (channel) to use.")
    var room = "#bench"

    @Option(help: "New connections per second while connecting.")
    var connectRate = 1_000

    @Option(help: "Seconds a TLS handshake may take before the connection counts as failed.")
    var handshakeTimeout = 10

    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard ([port] + alsoPort).allSatisfy({ (1...65535).contains($0) }) else { throw ValidationError("--port and --also-port must be 1...65535") }
        guard alsoPortDialect == nil || !alsoPort.isEmpty else { throw ValidationError("--also-port-dialect needs --also-port") }
        guard (cert == nil) == (key == nil) else { throw ValidationError("--cert and --key go together") }
        guard connectRate > 0, connectRate <= 1_000_000 else { throw ValidationError("--connect-rate must be 1...1000000") }
        guard (1...600).contains(handshakeTimeout) else { throw ValidationError("--handshake-timeout must be 1...600 seconds") }
        let addresses = try SocketAddress.resolve(host: host, port: port)
        guard !addresses.isEmpty, addresses.allSatisfy(\.isLoopback) else {
            throw ValidationError("tlschat-bench only targets loopback addresses (127.0.0.1, ::1), not \(host)")
        }
    }

    /// The resolved target: address, transport and dialect.
    func target() throws -> BenchTarget {
        try? DescriptorLimit.raiseToHardLimit()  // each connection costs a descriptor; failures show up as connect errors
        let address = try SocketAddress.resolve(host: host, port: port)[0]
        let others = try alsoPort.map { try SocketAddress.resolve(host: host, port: $0)[0] }
        var context: TLSContext?
        if !plain {
            var tls = TLSConfiguration.client(trustRoots: .file(ca), certificateChainFile: cert, privateKeyFile: key)
            tls.handshakeTimeout = .seconds(handshakeTimeout)
            tls.readBufferLength = 64 * 1024  // many records per read(2); see TLSConfiguration
            context = try TLSContext(tls)
        }
        return BenchTarget(address: address, otherAddresses: others, tlsContext: context, serverName: serverName ?? host,
                           dialect: dialect, otherDialect: alsoPortDialect, room: room, connectRate: connectRate,
                           server: serverPid.isEmpty ? nil : ServerProbe(pids: serverPid))
    }
}

extension Dialect: ExpressibleByArgument {}
