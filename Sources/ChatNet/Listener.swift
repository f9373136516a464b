// Listener: a listening socket on the loop that accepts new connections.
//
// Accepts up to `acceptsPerWakeup` sockets per readiness event (fairness to
// already-connected clients) and hands each to `onAccept`. When accept fails
// (EMFILE/ENFILE when descriptors run out, ENOBUFS, ENOMEM...) it stops
// listening for `errorBackoff` instead of spinning on a level-triggered
// event, reports the error once per episode, and resumes by itself.
// It does not wrap sockets in TLS; `onAccept` decides.
#if canImport(Glibc)
import Glibc
#endif

public final class Listener: LoopHandler {
    public let localAddress: SocketAddress
    public var acceptsPerWakeup = 64
    public var errorBackoff: Duration = .milliseconds(100)

    private let loop: EventLoop
    private let socket: Socket
    private var registration: LoopRegistration?
    private let onAccept: (Socket) -> Void
    private let onError: (Errno) -> Void
    private var failing = false  // in an episode of accept errors (reported once)

    /// Binds, listens and registers. `onError` hears about accept failures
    /// (descriptor exhaustion once per episode); `onAccept` owns each new socket.
    public init(
        loop: EventLoop, address: SocketAddress, backlog: Int32 = 511, options: SocketOptions = SocketOptions(),
        onError: @escaping (Errno) -> Void = { _ in }, onAccept: @escaping (Socket) -> Void
    ) throws(Errno) {
        self.loop = loop
        self.onAccept = onAccept
        self.onError = onError
        socket = try Socket.listening(on: address, backlog: backlog, options: options)
        do {
            localAddress = try socket.localAddress()
            registration = try loop.register(descriptor: socket.descriptor, interest: .read, handler: self)
        } catch {
            socket.close()
            throw error
        }
    }

    public func loopWritable() {}

    public func loopReadable() {
        for _ in 0..<acceptsPerWakeup {
            do {
                switch try socket.accept() {
                case .wouldBlock: return
                case .done(let accepted):
                    failing = false
                    onAccept(accepted)
                }
            } catch {
                if error == .connectionAborted { continue }  // the client gave up first
                return pauseAccepting(after: error)
            }
        }
    }

    private func pauseAccepting(after error: Errno) {
        guard let registration else { return }
        if !failing { onError(error) }
        failing = true
        try? loop.update(registration, interest: [])
        loop.schedule(after: errorBackoff) { [weak self] in
            guard let self, let registration = self.registration else { return }
            try? self.loop.update(registration, interest: .read)
        }
    }

    /// Stops listening and closes the socket. Accepted connections are unaffected.
    public func close() {
        if let registration { loop.deregister(registration) }
        registration = nil
        socket.close()
    }
}
