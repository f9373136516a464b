// StreamConnection: the readiness-driven state machine shared by plain and
// TLS connections (connect, handshake, read, coalesced flush, graceful close).
//
// Subclasses supply only the transport steps (`transportHandshake`,
// `transportRead`, `transportWrite`, `transportShutdown`) and report each as a
// `TransportStep`; "would block" always carries the readiness it needs, so a
// TLS read that must write (or a write that must read) is handled here, once.
// Closing (graceful flush, close_notify, lingering, final release) is in
// StreamConnection+Closing.swift.
// Reads take what is available per wake-up up to a fairness budget; output is
// written in the loop's flush phase, once per iteration. This class does not
// parse, frame or limit application data; the layer above does.
#if canImport(Glibc)
import Glibc
#endif

/// One transport operation's outcome.
enum TransportStep {
    case progress(Int)
    case wouldBlock(needs: Interest)
    case end(CloseReason)
}

public class StreamConnection: Connection, LoopHandler, LoopFlushable {
    public var delegate: (any ConnectionDelegate)?
    /// `final`: read on every message sent, so a direct load, not a dynamic call.
    public internal(set) final var state: ConnectionState
    public var security: TransportSecurity { .plain }
    public var peerIdentity: PeerIdentity? { nil }
    public var securityDescription: String { "plaintext" }
    public internal(set) var remoteAddress: SocketAddress?
    public var bufferedOutputByteCount: Int {
        output.byteCount + sharedRun.count + (followedGroups.isEmpty ? 0 : pendingFollowedBytes)
    }
    /// Queued output beyond this many bytes means the peer is not reading:
    /// the connection is closed with `.outputLimitExceeded` instead of growing.
    public var maximumBufferedOutput = Int.max {
        didSet { if !followedGroups.isEmpty { refreshFollowedLimits() } }  // a lower limit holds from the next message
    }

    /// Most bytes read per wake-up before yielding to other connections.
    public static let readBudgetPerWakeup = 256 * 1024
    /// How long a graceful close may spend flushing and waiting for the peer's EOF.
    public var gracefulCloseTimeout: Duration = .seconds(5)

    let loop: EventLoop
    let socket: Socket
    var registration: LoopRegistration?
    var registeredInterest: Interest = []
    var output = OutputBuffer()
    /// Queued broadcast bytes still in the loop's BroadcastArena, after everything in
    /// `output` (used only while `output` is empty; copied into it before the arena resets).
    var sharedRun = 0..<0
    /// The arena epoch `sharedRun` was placed in (a debug check that it never outlives it).
    var sharedRunEpoch = 0
    /// Broadcast groups this connection follows in the current flush (StreamConnection+BroadcastGroups).
    var followedGroups: [FollowedGroup] = []
    private var flushRequested = false
    var handshakeNeeds: Interest = .read
    var readNeeds: Interest = .read
    var writeNeeds: Interest? = nil   // set while a write waits for readiness
    var closeTimer: LoopTimer?
    var closeReasonWhenDrained: CloseReason = .localClose
    var peerFinishedSending = false

    init(socket: Socket, loop: EventLoop, connecting: Bool) {
        self.socket = socket
        self.loop = loop
        self.state = connecting ? .connecting : .handshaking
        self.remoteAddress = try? socket.peerAddress()
    }

    deinit { closeTimer?.cancel() }

    // MARK: Transport steps (overridden by PlainConnection and TLSConnection)

    func transportHandshake() -> TransportStep { .progress(0) }
    func transportRead(into buffer: UnsafeMutableRawBufferPointer) -> TransportStep { fatalError("abstract") }
    func transportWrite(_ pending: UnsafeRawBufferPointer) -> TransportStep { fatalError("abstract") }
    func transportShutdown() -> TransportStep { .progress(0) }
    var transportHasBufferedInput: Bool { false }
    /// Whether a read that returned `count` of `requested` bytes emptied the socket as far
    /// as can be told without another read(2). Level-triggered readiness reports anything
    /// that arrived since, so stopping here costs nothing and saves the read that would
    /// only have answered EAGAIN (one per wake-up: half the reads of a busy receiver).
    func transportDrained(afterReading count: Int, of requested: Int) -> Bool { false }
    func transportHandshakeStarted() {}
    func transportHandshakeEnded() {}
    func transportRelease() {}

    // MARK: Connection

    public func start() throws(Errno) {
        precondition(registration == nil, "start() called twice")
        let interest: Interest = state == .connecting ? .write : .read
        do {
            registration = try loop.register(descriptor: socket.descriptor, interest: interest, handler: self)
        } catch {
            finish(.socketError(error))  // the delegate still hears about it, after this iteration
            throw error
        }
        registeredInterest = interest
        transportHandshakeStarted()  // the TLS deadline covers the TCP connect too
        if state == .handshaking { advanceHandshake() }
    }

    public final func write(_ bytes: UnsafeRawBufferPointer) {
        if !followedGroups.isEmpty { takeFollowedBytes() }
        guard acceptsOutput(bytes.count) else { return }
        if !sharedRun.isEmpty { keepSharedRun() }
        output.append(bytes)
        requestFlush()
        if !followedGroups.isEmpty { refreshFollowedLimits() }
    }

    /// Queues a broadcast: the same `bytes` under the same `key` (the message) for many
    /// connections in one iteration are stored once, in the loop's BroadcastArena, and a
    /// connection with nothing else queued writes them from there. Same contract as `write`.
    public final func write(_ bytes: UnsafeRawBufferPointer, sharedAs key: AnyObject) {
        if !followedGroups.isEmpty { takeFollowedBytes() }
        guard acceptsOutput(bytes.count) else { return }
        queueShared(loop.broadcastArena.place(bytes, key: key))
        requestFlush()
        if !followedGroups.isEmpty { refreshFollowedLimits() }
    }

    @inline(__always)
    private func acceptsOutput(_ count: Int) -> Bool {
        guard state != .closed, state != .closing, state != .lingering, count > 0 else { return false }
        guard output.byteCount + sharedRun.count + count <= maximumBufferedOutput else {
            finish(.outputLimitExceeded(maximumBufferedOutput))
            return false
        }
        return true
    }

    /// Copies the shared run into this connection's own buffer (the arena is emptied
    /// after the flush phase, or a private write must follow it in order).
    func keepSharedRun() {
        output.append(loop.broadcastArena.bytes(sharedRun, placedIn: sharedRunEpoch))
        sharedRun = 0..<0
    }

    public func close(_ mode: CloseMode) {
        switch (mode, state) {
        case (_, .closed), (.graceful, .closing), (.graceful, .lingering):
            return
        case (.immediate, _), (.graceful, .connecting), (.graceful, .handshaking):
            finish(.localClose)
        case (.graceful, .open):
            beginGracefulClose(reportingWhenDone: .localClose)
        }
    }

    // MARK: Loop callbacks

    public func loopWritable() {
        switch state {
        case .connecting: finishConnect()
        case .handshaking: advanceHandshake()
        case .open, .closing:
            if readNeeds == .write { readAvailable() }
            if writeNeeds != nil, state == .open || state == .closing { flush() }
        case .lingering, .closed: break
        }
    }

    public func loopReadable() {
        switch state {
        case .connecting: finishConnect()
        case .handshaking: advanceHandshake()
        case .open, .closing:
            if writeNeeds == .read { flush() }
            if readNeeds == .read, state == .open || state == .closing { readAvailable() }
        case .lingering: discardUntilEOF()
        case .closed: break
        }
    }

    public func loopFlush() {
        flushRequested = false
        if !followedGroups.isEmpty {  // the gathers end with this flush
            takeFollowedBytes()
            leaveFollowedGroups()
        }
        if state == .open || state == .closing, writeNeeds == nil { flush() }
        if !sharedRun.isEmpty { keepSharedRun() }  // not sent now: must not outlive the arena
    }

    // MARK: Reading

    private func readAvailable() {
        var budget = Self.readBudgetPerWakeup
        while state == .open || state == .closing {
            switch transportRead(into: loop.readScratch) {
            case .progress(let count):
                readNeeds = .read
                loop.statistics.bytesRead &+= count
                if state == .open && !peerFinishedSending {
                    delegate?.connection(self, didReceive: UnsafeRawBufferPointer(rebasing: loop.readScratch[0..<count]))
                }
                budget -= count
                if transportDrained(afterReading: count, of: loop.readScratch.count) {
                    updateInterest()
                    return
                }
                if budget <= 0 {  // fairness: let others run; level-triggered epoll or readAgain brings us back
                    if transportHasBufferedInput { loop.readAgain(self) }
                    updateInterest()
                    return
                }
            case .wouldBlock(let needs):
                readNeeds = needs
                updateInterest()
                return
            case .end(let reason):
                return peerEnded(reason)
            }
        }
    }

    /// The peer stopped sending. An orderly end (FIN, or TLS close_notify) still
    /// delivers our queued replies, since a client may half-close after its last
    /// command. Anything else closes at once: after a TLS EOF without close_notify
    /// the session is in a fatal state and must not be written to.
    private func peerEnded(_ reason: CloseReason) {
        guard reason == .peerClosed else { return finish(reason) }
        peerFinishedSending = true
        readNeeds = []
        if state == .open {
            beginGracefulClose(reportingWhenDone: reason)
        } else {
            updateInterest()  // already closing on our initiative: keep reporting that
        }
    }

    // MARK: Writing

    func requestFlush() {
        guard !flushRequested else { return }
        flushRequested = true
        loop.requestFlush(self)
    }

    private func flush() {
        let queued = output.byteCount + sharedRun.count
        if queued > loop.statistics.largestQueuedOutput { loop.statistics.largestQueuedOutput = queued }
        if output.isEmpty {  // only broadcasts queued: write them straight from the arena
            while !sharedRun.isEmpty {
                switch transportWrite(loop.broadcastArena.bytes(sharedRun, placedIn: sharedRunEpoch)) {
                case .progress(let count):
                    loop.statistics.bytesWritten &+= count
                    sharedRun = (sharedRun.lowerBound + count)..<sharedRun.upperBound
                case .wouldBlock(let needs):
                    keepSharedRun()  // the retry must see the same bytes after the arena is gone
                    writeNeeds = needs
                    updateInterest()
                    return
                case .end(let reason):
                    return finish(reason)
                }
            }
        } else if !sharedRun.isEmpty {
            keepSharedRun()
        }
        while !output.isEmpty {
            switch transportWrite(output.front) {
            case .progress(let count):
                loop.statistics.bytesWritten &+= count
                output.consume(count)
            case .wouldBlock(let needs):
                writeNeeds = needs
                updateInterest()
                return
            case .end(let reason):
                return finish(reason)
            }
        }
        writeNeeds = nil
        if state == .closing { return sendShutdown() }
        updateInterest()
    }

    func updateInterest() {
        guard let registration else { return }
        var wanted: Interest
        switch state {
        case .connecting: wanted = .write
        case .handshaking: wanted = handshakeNeeds
        case .open, .closing: wanted = readNeeds.union(writeNeeds ?? [])
        case .lingering: wanted = .read
        case .closed: return
        }
        if peerFinishedSending && state != .lingering { wanted.subtract(.read) }
        if writeNeeds == .read { wanted.insert(.read) }
        guard wanted != registeredInterest else { return }
        do {
            try loop.update(registration, interest: wanted)
            registeredInterest = wanted
        } catch {
            finish(.socketError(error))
        }
    }
}
