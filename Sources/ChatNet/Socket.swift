// Socket: one owned, non-blocking, close-on-exec TCP socket descriptor.
//
// Listens, accepts, connects (IPv4 and IPv6), reads and writes with the
// `IOResult` convention, and reports its bound port (so port 0 works).
// It owns its descriptor: `close()` exactly once, and deinit asserts that
// happened. It knows nothing about TLS, loops or buffering.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public final class Socket {
    /// The descriptor, or -1 once closed.
    public private(set) var descriptor: Int32
    /// The peer, as accept(2) reported it: a connected peer never changes, so asking
    /// the kernel again (getpeername) would only cost a system call per connection.
    private var acceptedPeer: SocketAddress?

    init(owning descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        assert(descriptor < 0, "leak of open socket \(descriptor): close() was never called")
    }

    public var isOpen: Bool { descriptor >= 0 }

    /// A new non-blocking, close-on-exec stream socket for `family`.
    public convenience init(family: SocketAddress.Family) throws(Errno) {
        let domain = family == .ipv6 ? AF_INET6 : AF_INET
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try checkedSyscall { Glibc.socket(domain, type, 0) }
        self.init(owning: fd)
    }

    /// Binds and listens on `address`. IPv6 listeners are IPv6-only, so
    /// 0.0.0.0:P and [::]:P can be bound side by side.
    public static func listening(on address: SocketAddress, backlog: Int32 = 511, options: SocketOptions = SocketOptions()) throws(Errno) -> Socket {
        let socket = try Socket(family: address.family)
        do throws(Errno) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            try options.apply(to: socket)  // accepted sockets inherit these
            if address.family == .ipv6 { try socket.setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1) }
            _ = try address.withSockAddr { (pointer, length) throws(Errno) in
                try checkedSyscall { bind(socket.descriptor, pointer, length) }
            }
            try checkedSyscall { listen(socket.descriptor, backlog) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// Starts a non-blocking connect. `.done` means connected already;
    /// `.wouldBlock(.write)` means wait for writability, then call `finishConnect()`.
    public static func connecting(to address: SocketAddress, options: SocketOptions = SocketOptions()) throws(Errno) -> (Socket, IOResult<Void>) {
        let socket = try Socket(family: address.family)
        do throws(Errno) {
            try socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            try options.apply(to: socket)  // before connect: the window is negotiated from them
            let status: Int32 = try address.withSockAddr { pointer, length in
                Glibc.connect(socket.descriptor, pointer, length)
            }
            if status == 0 { return (socket, .done(())) }
            let error = Errno.current
            if error == .inProgress || error == .interrupted { return (socket, .wouldBlock(needs: .write)) }
            throw error
        } catch {
            socket.close()
            throw error
        }
    }

    /// After a pending connect became writable: nil when connected, else why it failed.
    public func finishConnect() -> Errno? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return Errno.current }
        return value == 0 ? nil : Errno(rawValue: value)
    }

    /// Accepts one pending connection as a non-blocking, close-on-exec socket
    /// with TCP_NODELAY set, remembering the peer's address. `.wouldBlock` when
    /// the backlog is empty.
    public func accept() throws(Errno) -> IOResult<Socket> {
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let listening = descriptor
        let (result, peer) = try Self.fillingAddress { (address, length) throws(Errno) in
            try retryingSyscall({ CLinuxShim_accept4(listening, address, length, flags) })
        }
        switch result {
        case .wouldBlock(let needs):
            return .wouldBlock(needs: needs)
        case .done(let fd):
            let accepted = Socket(owning: fd)
            accepted.acceptedPeer = peer
            try? accepted.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return .done(accepted)
        }
    }

    /// Reads up to `buffer.count` bytes; `.done(0)` is end of stream.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> IOResult<Int> {
        switch try retryingSyscall(blockedInterest: .read, { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }) {
        case .done(let count): return .done(count)
        case .wouldBlock(let needs): return .wouldBlock(needs: needs)
        }
    }

    /// Writes from `buffer`, possibly partially. `MSG_NOSIGNAL`: never raises SIGPIPE.
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Errno) -> IOResult<Int> {
        switch try retryingSyscall(blockedInterest: .write, { send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }) {
        case .done(let count): return .done(count)
        case .wouldBlock(let needs): return .wouldBlock(needs: needs)
        }
    }

    /// Half-closes the sending direction (a TCP FIN); reading stays possible.
    public func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the descriptor. Safe to call twice; the second call does nothing.
    public func close() {
        guard descriptor >= 0 else { return }
        _ = Glibc.close(descriptor)  // never retried: on Linux the fd is gone even on EINTR
        descriptor = -1
    }

    /// Makes the eventual `close()` send a TCP reset instead of a FIN (SO_LINGER 0).
    public func setResetOnClose() {
        guard descriptor >= 0 else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The locally bound address (after `bind` or `connect`), e.g. to learn the port 0 chose.
    public func localAddress() throws(Errno) -> SocketAddress {
        try queryAddress { getsockname($0, $1, $2) }
    }

    /// The connected peer's address (for an accepted socket, the one accept(2) gave).
    public func peerAddress() throws(Errno) -> SocketAddress {
        if let acceptedPeer { return acceptedPeer }
        return try queryAddress { getpeername($0, $1, $2) }
    }

    private func queryAddress(
        _ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32
    ) throws(Errno) -> SocketAddress {
        let fd = descriptor
        return try Self.fillingAddress { (address, length) throws(Errno) in
            try checkedSyscall { call(fd, address, length) }
        }.address
    }

    /// Runs `call` with an address buffer large enough for any family, as accept,
    /// getsockname and getpeername fill it; returns its result and the address.
    private static func fillingAddress<R>(
        _ call: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws(Errno) -> R
    ) throws(Errno) -> (result: R, address: SocketAddress) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(Errno) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) in
                try call(address, &length)
            }
        }
        return (result, SocketAddress(storage: storage, length: length))
    }

    /// Sets an integer socket option.
    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(Errno) {
        var copy = value
        try checkedSyscall { setsockopt(descriptor, level, name, &copy, socklen_t(MemoryLayout<Int32>.size)) }
    }

}

/// Options applied to a socket before it listens or connects.
public struct SocketOptions: Sendable {
    /// SO_SNDBUF / SO_RCVBUF in bytes; nil keeps the kernel's autotuning.
    /// Set them small to force short reads and writes in tests.
    public var sendBufferSize: Int32?
    public var receiveBufferSize: Int32?
    /// Listening sockets: SO_REUSEPORT, so several processes (each with its own loop) can
    /// listen on one address and the kernel spreads new connections over them.
    public var reusePort = false

    public init(sendBufferSize: Int32? = nil, receiveBufferSize: Int32? = nil, reusePort: Bool = false) {
        self.sendBufferSize = sendBufferSize
        self.receiveBufferSize = receiveBufferSize
        self.reusePort = reusePort
    }

    func apply(to socket: Socket) throws(Errno) {
        if reusePort { try socket.setOption(SOL_SOCKET, SO_REUSEPORT, 1) }
        if let sendBufferSize { try socket.setOption(SOL_SOCKET, SO_SNDBUF, sendBufferSize) }
        if let receiveBufferSize { try socket.setOption(SOL_SOCKET, SO_RCVBUF, receiveBufferSize) }
    }
}
