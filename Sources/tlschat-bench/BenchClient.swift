// BenchClient: one benchmark connection to the server under test. It opens
// the connection (TLS verified against --ca and the server name, or plain),
// splits what arrives into lines without copying a line that arrived whole,
// walks the dialect's registration (greeting, room join) and answers
// keep-alive PINGs; after that it hands every line to its line sink. It does not
// decide what to send or measure anything; the scenarios do.
import ChatNet
#if canImport(Glibc)
import Glibc
#endif

/// Where the benchmark connects and how.
struct BenchTarget {
    let address: SocketAddress
    /// More ports of the same service (cluster nodes); client i uses address(for: i).
    var otherAddresses: [SocketAddress] = []
    let tlsContext: TLSContext?
    let serverName: String
    let dialect: Dialect
    /// What the clients on `otherAddresses` speak (--also-port-dialect; nil: `dialect`).
    var otherDialect: Dialect? = nil
    let room: String
    /// False: connections only register (greeting), joining no room (the idle scenario).
    var joinsRoom = true
    let connectRate: Int
    let server: ServerProbe?

    /// What client `index` speaks: `dialect` on --port, `otherDialect` (if set) on --also-port.
    func dialect(for index: Int) -> Dialect {
        guard let otherDialect, index % (otherAddresses.count + 1) != 0 else { return dialect }
        return otherDialect
    }

    /// Where client `index` connects: --port and --also-port in turn.
    func address(for index: Int) -> SocketAddress {
        index % (otherAddresses.count + 1) == 0 ? address : otherAddresses[index % (otherAddresses.count + 1) - 1]
    }
}

final class BenchClient: ConnectionDelegate {
    let index: Int
    private(set) var connection: (any Connection)?
    private(set) var isReady = false
    private let target: BenchTarget
    /// The pool that made this client and outlives it.
    private unowned let owner: ClientPool
    /// Where lines go once the client is ready (the fan-out run, which owns the pool and so
    /// outlives this client): unretained and called with `_withUnsafeGuaranteedRef`, so a line
    /// costs no reference counting or dynamic dispatch (both measurable with callgrind).
    var lineSink: Unmanaged<FanoutRun>?
    private var partial: [UInt8] = []
    /// A line longer than this from the server is cut (a benchmark message is far shorter).
    private static let maximumLineLength = 1 << 16

    init(index: Int, target: BenchTarget, owner: ClientPool) {
        self.index = index
        self.target = target
        self.owner = owner
    }

    /// Starts connecting (and the TLS handshake).
    func connect(loop: EventLoop) throws {
        let next: any Connection
        if let context = target.tlsContext {
            next = try TLSConnection.connect(to: target.address(for: index), serverName: target.serverName, loop: loop, context: context)
        } else {
            next = try PlainConnection.connect(to: target.address(for: index), loop: loop)
        }
        next.delegate = self
        next.maximumBufferedOutput = 64 << 20
        connection = next
        try next.start()
    }

    func send(_ line: String) {
        connection?.write(line + "\n")
    }

    /// Queues `line` as it is (newline included).
    func send(bytes line: UnsafeRawBufferPointer) {
        connection?.write(line)
    }

    func close(_ mode: CloseMode = .immediate) {
        connection?.close(mode)
    }

    // MARK: ConnectionDelegate

    func connectionDidOpen(_ connection: any Connection) {
        for line in target.dialect(for: index).opening(client: index) { send(line) }
    }

    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let receivedAt = MonotonicClock.now()  // once per read: every line in it arrived together
        var start = 0
        let count = bytes.count
        // A line that arrived whole goes straight from the read buffer to its handler.
        while partial.isEmpty, start < count, let found = memchr(base + start, 0x0A, count - start) {
            let end = base.distance(to: UnsafeRawPointer(found))
            handle(UnsafeRawBufferPointer(start: base + start, count: end - start), receivedAt: receivedAt)
            start = end + 1
        }
        while start < count {
            guard let found = memchr(base + start, 0x0A, count - start) else {
                if partial.count < Self.maximumLineLength { partial.append(contentsOf: bytes[start...]) }
                return
            }
            let end = base.distance(to: UnsafeRawPointer(found))
            if partial.isEmpty {
                handle(UnsafeRawBufferPointer(start: base + start, count: end - start), receivedAt: receivedAt)
            } else {
                partial.append(contentsOf: bytes[start..<end])
                partial.withUnsafeBytes { handle($0, receivedAt: receivedAt) }
                partial.removeAll(keepingCapacity: true)
            }
            start = end + 1
        }
    }

    func connection(_ connection: any Connection, didCloseWith reason: CloseReason) {
        self.connection = nil
        owner.client(self, closedWith: reason)
    }

    // MARK: Lines

    /// `receivedAt`: MonotonicClock nanoseconds when the read that brought the line returned.
    @inline(__always)
    private func handle(_ raw: UnsafeRawBufferPointer, receivedAt: UInt64) {
        guard let base = raw.baseAddress, raw.count > 0 else { return handleOther(raw) }
        let last = base.load(fromByteOffset: raw.count - 1, as: UInt8.self)
        // A delivery ends in the marker's "@"; anything else (CR, PING, registration) takes the long way.
        guard last == UInt8(ascii: "@"), base.load(as: UInt8.self) != UInt8(ascii: "P"), isReady, let sink = lineSink else { return handleOther(raw, receivedAt: receivedAt) }
        sink._withUnsafeGuaranteedRef { $0.received(raw, by: index, at: receivedAt) }
    }

    @inline(never)
    private func handleOther(_ raw: UnsafeRawBufferPointer, receivedAt: UInt64 = 0) {
        var line = raw
        if let last = line.last, last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        if line.first == UInt8(ascii: "P"), let answer = target.dialect(for: index).keepAliveAnswer(to: line) { return send(answer) }
        guard isReady else { return register(String(decoding: line, as: UTF8.self)) }
        lineSink?._withUnsafeGuaranteedRef { $0.received(line, by: index, at: receivedAt) }
    }

    private func register(_ line: String) {
        switch target.dialect(for: index).step(after: line, room: target.joinsRoom ? target.room : nil) {
        case .send(let answer) where answer.isEmpty:
            FileHandleOutput.diagnostic("client \(index): registration refused: \(line)")
            close()
        case .send(let answer): send(answer)
        case .ready: becomeReady()
        case .nothing: break
        }
    }

    private func becomeReady() {
        guard !isReady else { return }
        isReady = true
        owner.clientIsReady(self)
    }
}
