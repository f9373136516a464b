// DemoRelay: a minimal TLS line relay used until the chat/1 protocol lands.
//
// Every complete line a client sends is relayed, prefixed with the sender's
// name, to every connected client (the sender included). The name is the
// verified certificate's CN (control characters replaced), or "~anon-N" for
// a client without one. All lines from one read leave as one shared message.
// An over-long line gets an error and the connection is closed; a client whose
// queued output passes the cap (it stopped reading) is disconnected. It has no
// rooms, commands or rate limits; issue "Chat protocol" replaces it.
import ChatCore
import ChatNet
import Logging

final class DemoRelay {
    private let loop: EventLoop
    private let context: TLSContext
    private let maximumLineLength: Int
    private let maximumQueuedOutput: Int
    private let logger: Logger
    private var listeners: [Listener] = []
    private var clients: [ObjectIdentifier: Client] = [:]
    private var nextAnonymous = 1

    init(loop: EventLoop, context: TLSContext, maximumLineLength: Int, maximumQueuedOutput: Int, logger: Logger) {
        self.loop = loop
        self.context = context
        self.maximumLineLength = maximumLineLength
        self.maximumQueuedOutput = maximumQueuedOutput
        self.logger = logger
    }

    func listen(on address: SocketAddress) throws -> Listener {
        let listener = try Listener(loop: loop, address: address, onError: { [logger] error in
            logger.warning("accept failed: \(error)")
        }, onAccept: { [unowned self] socket in self.accept(socket) })
        listeners.append(listener)
        return listener
    }

    private func accept(_ socket: Socket) {
        do {
            let connection = try TLSConnection(accepted: socket, loop: loop, context: context)
            connection.maximumBufferedOutput = maximumQueuedOutput
            let client = Client(relay: self, connection: connection, framer: LineFramer(maximumLineLength: maximumLineLength))
            connection.delegate = client
            clients[ObjectIdentifier(client)] = client
            try connection.start()
        } catch {
            logger.warning("could not start connection: \(error)")
        }
    }

    /// Stops accepting, tells everyone, closes gracefully, and stops the loop once all are gone.
    func shutDown() {
        for listener in listeners { listener.close() }
        listeners = []
        let notice = SharedBytes("* server shutting down\n".utf8)
        for client in clients.values {
            client.connection.write(notice)
            client.connection.close(.graceful)
        }
        if clients.isEmpty { loop.stop() }
    }

    fileprivate func opened(_ client: Client) {
        let identity = client.connection.peerIdentity
        if let name = identity?.commonName, !name.isEmpty {
            // A CN is CA-issued but still text from outside: never let it carry a line break.
            client.name = String(String.UnicodeScalarView(name.unicodeScalars.map {
                $0.properties.generalCategory == .control ? "?" : $0
            }))
        } else {
            client.name = "~anon-\(nextAnonymous)"
            nextAnonymous += 1
        }
        logger.info("connected", metadata: ["client": "\(client.name)", "tls": "\(client.connection.securityDescription)",
                                            "peer": "\(client.connection.remoteAddress?.description ?? "?")",
                                            "certificate": "\(identity?.description ?? "none")"])
        client.connection.write("* welcome \(client.name) (\(client.connection.securityDescription))\n")
    }

    /// Relays the lines of one read as one message, encoded once for all recipients.
    fileprivate func relay(_ lines: [[UInt8]], from client: Client) {
        guard !lines.isEmpty else { return }
        let prefix = Array("\(client.name): ".utf8)
        var bytes: [UInt8] = []
        for line in lines { bytes += prefix + line + [UInt8(ascii: "\n")] }
        let message = SharedBytes(bytes)
        for other in clients.values where other.isOpen { other.connection.write(message) }
    }

    fileprivate func closed(_ client: Client, reason: CloseReason) {
        clients[ObjectIdentifier(client)] = nil
        logger.info("disconnected", metadata: ["client": "\(client.name)", "reason": "\(reason)"])
        if listeners.isEmpty && clients.isEmpty { loop.stop() }
    }
}

private final class Client: ConnectionDelegate {
    unowned let relay: DemoRelay
    let connection: TLSConnection
    var framer: LineFramer
    var name = "?"
    var isOpen = false

    init(relay: DemoRelay, connection: TLSConnection, framer: LineFramer) {
        self.relay = relay
        self.connection = connection
        self.framer = framer
    }

    func connectionDidOpen(_ connection: any Connection) {
        isOpen = true
        relay.opened(self)
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        var lines: [[UInt8]] = []
        for event in framer.feed(bytes) {
            switch event {
            case .line(let line): lines.append(line)
            case .tooLong:
                relay.relay(lines, from: self)
                connection.write("* error: line longer than \(framer.maximumLineLength) bytes\n")
                connection.close(.graceful)
                return
            }
        }
        relay.relay(lines, from: self)
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        isOpen = false
        relay.closed(self, reason: reason)
    }
}
