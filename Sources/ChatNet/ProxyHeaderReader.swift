// ProxyHeaderReader: reads one PROXY protocol v2 header from a freshly
// accepted socket on the event loop, non-blocking, before any TLS or chat
// byte is read, under a deadline. Each read asks the kernel for no more than
// ProxyHeaderParser.bytesWanted, so the bytes that follow the header (a TLS
// ClientHello, or a plaintext client's first line) stay in the socket for the
// connection that takes it over. When the header is complete, malformed, late
// or cut short it stops watching the socket and hands it back, with the
// result, to `completion` (called once; the caller then owns and closes or
// wraps the socket). It does not decide who may send a header or what the
// source address is used for: ChatServer does.
#if canImport(Glibc)
import Glibc
#endif

public final class ProxyHeaderReader: LoopHandler {
    /// Why no header was read.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(ProxyHeaderError)
        case timedOut(received: Int)
        case closedEarly(received: Int)
        case socketError(Errno)

        public var description: String {
            switch self {
            case .malformed(let error): return error.description
            case .timedOut(let received):
                return "no complete PROXY v2 header within the handshake timeout (\(received) bytes received)"
            case .closedEarly(let received): return "the peer closed the connection after \(received) bytes of the PROXY header"
            case .socketError(let error): return "socket error while reading the PROXY header: \(error)"
            }
        }
    }

    private let loop: EventLoop
    private var socket: Socket?
    private var parser = ProxyHeaderParser()
    private var received = 0
    private var registration: LoopRegistration?
    private var deadline: LoopTimer?
    private var completion: ((Socket, Result<ProxyHeader, Failure>) -> Void)?

    /// Takes `socket` until `start`'s completion hands it back.
    public init(socket: Socket, loop: EventLoop) {
        self.socket = socket
        self.loop = loop
    }

    /// Starts watching the socket; the header must be complete within `timeout`.
    /// `completion` is called once, with the socket and the result; if the socket cannot
    /// be registered, that happens before this returns (with `.socketError`).
    public func start(timeout: Duration, completion: @escaping (Socket, Result<ProxyHeader, Failure>) -> Void) {
        guard let socket, self.completion == nil else { return }
        self.completion = completion
        do {
            registration = try loop.register(descriptor: socket.descriptor, interest: .read, handler: self)
        } catch {
            return finish(.failure(.socketError(error)))
        }
        deadline = loop.schedule(after: timeout) { [weak self] in
            guard let self else { return }
            finish(.failure(.timedOut(received: received)))
        }
    }

    /// Stops reading and closes the socket without calling `completion` (server shutdown).
    public func cancel() {
        completion = nil
        let socket = self.socket
        finish(.failure(.closedEarly(received: received)))
        socket?.close()
    }

    public func loopWritable() {}

    public func loopReadable() {
        guard let socket else { return }
        let scratch = loop.readScratch  // shared by the loop; used only inside this callback
        while case .reading = parser.state {
            let wanted = parser.bytesWanted
            let result: IOResult<Int>
            do {
                result = try socket.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<wanted]))
            } catch {
                return finish(.failure(.socketError(error)))
            }
            switch result {
            case .wouldBlock: return
            case .done(0): return finish(.failure(.closedEarly(received: received)))
            case .done(let count):
                received += count
                let taken = parser.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                // All taken, unless the header was refused part-way (the connection is closed then).
                if case .failed = parser.state {} else { assert(taken == count, "read past the PROXY header") }
            }
        }
        switch parser.state {
        case .done(let header): finish(.success(header))
        case .failed(let error): finish(.failure(.malformed(error)))
        case .reading: break
        }
    }

    private func finish(_ result: Result<ProxyHeader, Failure>) {
        deadline?.cancel()
        deadline = nil
        if let registration { loop.deregister(registration) }
        registration = nil
        guard let socket else { return }
        self.socket = nil
        let completion = self.completion
        self.completion = nil
        completion?(socket, result)
    }
}
