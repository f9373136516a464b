// ChatServer: runs the chat/1 service on an event loop: opens the TLS and
// (explicitly requested) plaintext listeners, wraps each accepted socket in a
// connection with its ClientConnection glue, logs connection lifecycles
// (never message contents), and shuts down gracefully. Chat rules live in
// ChatServerCore; transport rules in ChatNet.
import ChatCore
import ChatNet
import Logging

final class ChatServer {
    struct Settings {
        var maximumLineLength = 4096
        var maximumQueuedOutput = 1 << 20
    }

    let core: ChatServerCore
    private let loop: EventLoop
    private let context: TLSContext
    private let settings: Settings
    private let logger: Logger
    private var listeners: [Listener] = []
    private var clients: [ObjectIdentifier: ClientConnection] = [:]
    private var shuttingDown = false

    init(loop: EventLoop, context: TLSContext, core: ChatServerCore, settings: Settings, logger: Logger) {
        self.loop = loop
        self.context = context
        self.core = core
        self.settings = settings
        self.logger = logger
    }

    /// Listens on `address`; returns the bound address (port 0 resolved).
    func listen(on address: SocketAddress, transport: Transport) throws -> SocketAddress {
        let listener = try Listener(loop: loop, address: address, onError: { [logger] error in
            logger.warning("accept failed, pausing briefly", metadata: ["error": "\(error)"])
        }, onAccept: { [unowned self] socket in self.accept(socket, transport: transport) })
        listeners.append(listener)
        return listener.localAddress
    }

    private func accept(_ socket: Socket, transport: Transport) {
        let connection: any Connection
        do {
            if transport == .tls {
                connection = try TLSConnection(accepted: socket, loop: loop, context: context)
            } else {
                connection = PlainConnection(accepted: socket, loop: loop)
            }
        } catch {
            socket.close()
            logger.warning("could not set up connection", metadata: ["error": "\(error)"])
            return
        }
        connection.maximumBufferedOutput = settings.maximumQueuedOutput
        let client = ClientConnection(server: self, connection: connection, transport: transport,
                                      maximumLineLength: settings.maximumLineLength)
        connection.delegate = client
        clients[ObjectIdentifier(client)] = client
        do {
            try connection.start()
        } catch {
            logger.warning("could not start connection", metadata: ["error": "\(error)"])
        }
    }

    func opened(_ client: ClientConnection, session: ChatSession) {
        let connection = client.connection
        logger.info("connected", metadata: [
            "peer": "\(connection.remoteAddress?.description ?? "?")", "transport": "\(client.transport.rawValue)",
            "security": "\(connection.securityDescription)", "name": "\(session.name)", "trust": "\(session.trust.rawValue)",
            "certificate": "\(connection.peerIdentity.map { "\($0)" } ?? "none")",
        ])
    }

    func closed(_ client: ClientConnection, reason: CloseReason) {
        clients[ObjectIdentifier(client)] = nil
        let peer = client.connection.remoteAddress?.description ?? "?"
        if let session = client.session {
            logger.info("disconnected", metadata: ["peer": "\(peer)", "name": "\(session.name)", "reason": "\(reason)"])
        } else {
            logger.info("connection failed before the chat started", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
        }
        if shuttingDown && clients.isEmpty { loop.stop() }
    }

    /// Stops accepting, tells everyone, closes every connection gracefully,
    /// and stops the loop once they are all gone.
    func shutDown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        for listener in listeners { listener.close() }
        listeners = []
        core.shutDown()
        for client in clients.values where client.session == nil { client.connection.close(.immediate) }
        if clients.isEmpty { loop.stop() }
    }
}
