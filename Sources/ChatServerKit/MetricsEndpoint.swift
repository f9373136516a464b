// MetricsEndpoint: the plain-HTTP listener behind tlschatd --metrics-listen,
// on the server's own event loop (non-blocking ChatNet sockets; no thread of
// its own). Each connection sends one request head of at most
// `maximumRequestBytes` within `requestTimeout`, gets one answer
// (MetricsHTTPRequest decides it) and is closed; at most
// `maximumConnections` unanswered requests are open at once, and four times
// that many connections in all (answered ones still closing: a client that
// does not hang up is cut at the same deadline); more are closed on accept, so a
// slow, oversized or garbage request costs a bounded amount and never delays
// chat beyond one loop callback. It knows nothing of chat: the exposition
// text comes from the `exposition` closure (ChatService+Metrics). No TLS, no
// authentication: it is loopback-only unless the operator allows otherwise
// (ServiceError at start, SECURITY.md).
import ChatNet

final class MetricsEndpoint {
    static let maximumRequestBytes = 8192
    static let maximumConnections = 16
    static let requestTimeout: Duration = .seconds(5)

    private let loop: EventLoop
    private let exposition: () -> String
    private var listeners: [Listener] = []
    private var exchanges: [ObjectIdentifier: MetricsExchange] = [:]
    /// Scrapes answered with 200, and requests refused (bad, oversized, slow, over the connection limit).
    private(set) var scrapes = 0
    private(set) var refusedRequests = 0

    init(loop: EventLoop, exposition: @escaping () -> String) {
        self.loop = loop
        self.exposition = exposition
    }

    /// Listens on `address`; returns the bound address (port 0 resolved).
    func listen(on address: SocketAddress) throws(Errno) -> SocketAddress {
        let listener = try Listener(loop: loop, address: address, backlog: 16) { [unowned self] socket in accept(socket) }
        listeners.append(listener)
        return listener.localAddress
    }

    private func accept(_ socket: Socket) {
        // An answered exchange only waits for the client to hang up: it does not hold a request slot.
        let unanswered = exchanges.values.reduce(0) { $0 + ($1.answered ? 0 : 1) }
        guard unanswered < Self.maximumConnections, exchanges.count < 4 * Self.maximumConnections else {
            refusedRequests += 1
            return socket.close()
        }
        let connection = PlainConnection(accepted: socket, loop: loop)
        connection.maximumBufferedOutput = 16 << 20
        let exchange = MetricsExchange(endpoint: self, connection: connection)
        connection.delegate = exchange
        exchanges[ObjectIdentifier(exchange)] = exchange
        exchange.deadline = loop.schedule(after: Self.requestTimeout) { [weak exchange] in exchange?.timedOut() }
        do {
            try connection.start()
        } catch {
            connection.close(.immediate)  // the delegate hears the close and the exchange is released
        }
    }

    fileprivate func answer(_ head: [UInt8]) -> [UInt8] {
        var served = false
        let response = MetricsHTTPRequest.response(to: head) {
            served = true
            return exposition()
        }
        if served { scrapes += 1 } else { refusedRequests += 1 }
        return response
    }

    fileprivate func refused() { refusedRequests += 1 }

    fileprivate func finished(_ exchange: MetricsExchange) {
        exchange.deadline?.cancel()
        exchanges[ObjectIdentifier(exchange)] = nil
    }

    func close() {
        for listener in listeners { listener.close() }
        listeners = []
        for exchange in exchanges.values { exchange.connection.close(.immediate) }
    }
}

/// One HTTP connection to the metrics endpoint: collects the request head, answers once, closes.
private final class MetricsExchange: ConnectionDelegate {
    unowned let endpoint: MetricsEndpoint
    let connection: PlainConnection
    var deadline: LoopTimer?
    private var head: [UInt8] = []
    private(set) var answered = false

    init(endpoint: MetricsEndpoint, connection: PlainConnection) {
        self.endpoint = endpoint
        self.connection = connection
    }

    func connectionDidOpen(_ connection: any Connection) {}

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        guard !answered else { return }  // a body or a second request: ignored, we close after the answer
        head.append(contentsOf: bytes.prefix(MetricsEndpoint.maximumRequestBytes + 1 - head.count))
        if let end = MetricsHTTPRequest.headEnd(in: head), end <= MetricsEndpoint.maximumRequestBytes {
            return send(endpoint.answer(Array(head[..<end])))
        }
        if head.count > MetricsEndpoint.maximumRequestBytes {
            endpoint.refused()
            send(MetricsHTTPRequest.status(431, "Request Header Fields Too Large",
                                           "a request head is at most \(MetricsEndpoint.maximumRequestBytes) bytes\n"))
        }
    }

    private func send(_ response: [UInt8]) {
        answered = true
        head = []
        response.withUnsafeBytes { connection.write($0) }
        connection.close(.graceful)
    }

    /// No complete request (or no drained answer) within the endpoint's deadline.
    func timedOut() {
        if !answered { endpoint.refused() }
        connection.close(.immediate)
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        endpoint.finished(self)
    }
}
