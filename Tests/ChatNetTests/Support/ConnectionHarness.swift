// ConnectionHarness: builds connected pairs of our own connections on one
// loop (server side from a Listener, client side from connect) for plain or
// TLS, and records what each side's delegate saw. In-process, loopback only.
@testable import ChatNet
import Foundation

enum TransportUnderTest: String, CaseIterable, CustomStringConvertible, Sendable {
    case plain, tls
    var description: String { rawValue }
}

/// Records every callback; tests assert on it.
final class RecordingDelegate: ConnectionDelegate {
    var opened = false
    var received: [UInt8] = []
    var receivedCount = 0
    var keepBytes = true
    var closeReason: CloseReason?
    var onReceive: ((UnsafeRawBufferPointer) -> Void)?

    func connectionDidOpen(_ connection: any Connection) { opened = true }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        receivedCount += bytes.count
        if keepBytes { received.append(contentsOf: bytes) }
        onReceive?(bytes)
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        precondition(closeReason == nil, "didClose reported twice")
        closeReason = reason
    }

    var text: String { String(decoding: received, as: UTF8.self) }
}

final class ConnectionHarness {
    let loop: EventLoop
    let transport: TransportUnderTest
    var listener: Listener!
    var serverContext: TLSContext?
    var clientContext: TLSContext?
    var accepted: [StreamConnection] = []
    var clients: [StreamConnection] = []
    var serverDelegates: [RecordingDelegate] = []
    /// Socket options for both ends (e.g. tiny buffers), applied before listen/connect.
    let socketOptions: SocketOptions

    init(_ transport: TransportUnderTest, selector: SelectorKind = .automatic,
         server: TLSConfiguration? = nil, client: TLSConfiguration? = nil,
         socketOptions: SocketOptions = SocketOptions(), listenHost: String = "127.0.0.1") throws {
        self.socketOptions = socketOptions
        loop = try EventLoop(selector: selector)
        self.transport = transport
        let pki = TestPKI.shared
        if transport == .tls {
            serverContext = try TLSContext(server ?? .server(
                certificateChainFile: pki.cert("server"), privateKeyFile: pki.key("server"), clientCA: pki.cert("ca")))
            clientContext = try TLSContext(client ?? .client(trustRoots: .file(pki.cert("ca"))))
        }
        let address = try SocketAddress.resolve(host: listenHost, port: 0)[0]
        listener = try Listener(loop: loop, address: address, options: socketOptions) { [unowned self] socket in
            let connection: StreamConnection
            if let context = self.serverContext {
                guard let tls = try? TLSConnection(accepted: socket, loop: self.loop, context: context) else { return }
                connection = tls
            } else {
                connection = PlainConnection(accepted: socket, loop: self.loop)
            }
            let delegate = RecordingDelegate()
            connection.delegate = delegate
            self.accepted.append(connection)
            self.serverDelegates.append(delegate)
            try? connection.start()
        }
    }

    var port: Int { listener.localAddress.port }

    /// Starts a client connection to the listener (not yet waited for).
    func connectClient(serverName: String = "127.0.0.1", host: String = "127.0.0.1") throws -> (StreamConnection, RecordingDelegate) {
        let address = try SocketAddress.resolve(host: host, port: port)[0]
        let connection: StreamConnection
        if let context = clientContext {
            connection = try TLSConnection.connect(to: address, serverName: serverName, loop: loop, context: context, options: socketOptions)
        } else {
            connection = try PlainConnection.connect(to: address, loop: loop, options: socketOptions)
        }
        let delegate = RecordingDelegate()
        connection.delegate = delegate
        clients.append(connection)
        try connection.start()
        return (connection, delegate)
    }

    /// Connects a client and waits until both ends are open. Returns (client, clientDelegate, server, serverDelegate).
    func openPair(timeout: Duration = .seconds(10)) throws -> (StreamConnection, RecordingDelegate, StreamConnection, RecordingDelegate) {
        let before = accepted.count
        let (client, clientDelegate) = try connectClient()
        let ready = try loop.run(for: timeout) {
            clientDelegate.opened && accepted.count > before && serverDelegates[before].opened
        }
        guard ready else {
            throw TestFailure("pair did not open: client \(clientDelegate.closeReason.map { "\($0)" } ?? "pending"), server \(accepted.count > before ? "\(serverDelegates[before].closeReason.map { "\($0)" } ?? "pending")" : "not accepted")")
        }
        return (client, clientDelegate, accepted[before], serverDelegates[before])
    }

    /// Runs the loop until `condition` holds; false on timeout.
    func run(for timeout: Duration = .seconds(10), until condition: () -> Bool) throws -> Bool {
        try loop.run(for: timeout, until: condition)
    }

    /// Closes everything still open and lets the loop finish deferred work.
    func tearDown() {
        listener.close()
        for connection in accepted + clients { connection.close(.immediate) }
        _ = try? loop.run(for: .milliseconds(200)) { false }
    }
}
