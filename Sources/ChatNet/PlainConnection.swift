// PlainConnection: a `Connection` over unencrypted TCP.
//
// Supplies the plain transport steps to `StreamConnection`: read(2), and one
// send(2) of everything queued. There is no
// handshake; the stream's end is the peer's FIN. Use it only where plaintext
// was explicitly asked for.
#if canImport(Glibc)
import Glibc
#endif

public final class PlainConnection: StreamConnection {
    /// Wraps an accepted socket (server side).
    public init(accepted socket: Socket, loop: EventLoop) {
        super.init(socket: socket, loop: loop, connecting: false)
    }

    /// Starts a non-blocking connect (client side); call `start()` next.
    public static func connect(to address: SocketAddress, loop: EventLoop, options: SocketOptions = SocketOptions()) throws(Errno) -> PlainConnection {
        let (socket, _) = try Socket.connecting(to: address, options: options)
        return PlainConnection(socket: socket, loop: loop, connecting: true)  // finishes on first writability
    }

    private override init(socket: Socket, loop: EventLoop, connecting: Bool) {
        super.init(socket: socket, loop: loop, connecting: connecting)
    }

    override func transportRead(into buffer: UnsafeMutableRawBufferPointer) -> TransportStep {
        do {
            switch try socket.read(into: buffer) {
            case .done(0): return .end(.peerClosed)
            case .done(let count): return .progress(count)
            case .wouldBlock(let needs): return .wouldBlock(needs: needs)
            }
        } catch {
            return .end(Self.reason(for: error))
        }
    }

    override func transportDrained(afterReading count: Int, of requested: Int) -> Bool {
        count < requested  // the kernel had less than we asked for: nothing is left
    }

    override func transportWrite(_ pending: UnsafeRawBufferPointer) -> TransportStep {
        do {
            switch try socket.write(pending) {
            case .done(let count): return .progress(count)
            case .wouldBlock(let needs): return .wouldBlock(needs: needs)
            }
        } catch {
            return .end(Self.reason(for: error))
        }
    }

    static func reason(for error: Errno) -> CloseReason {
        error == .connectionReset || error == .brokenPipe ? .reset : .socketError(error)
    }
}
