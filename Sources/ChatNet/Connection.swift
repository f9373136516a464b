// Connection: the transport-neutral contract between ChatNet and the layers
// above, in the spirit of Redis's connection type table.
//
// Callers write bytes and read callbacks; they never learn whether bytes were
// encrypted except through `security` and `peerIdentity`. This file declares
// the contract and its value types only; `StreamConnection` implements it for
// plain TCP and TLS.

/// Whether a connection is encrypted. The chat core receives this as a value
/// (its trust level); it never inspects the connection itself.
public enum TransportSecurity: String, Sendable {
    case plain, tls
}

/// Where a connection is in its life. Transitions only move forward.
public enum ConnectionState: Sendable, Equatable {
    case connecting   // client: TCP connect in progress
    case handshaking  // TLS handshake in progress (plain connections skip it)
    case open         // application bytes flow both ways
    case closing      // flushing queued output, then close_notify/FIN
    case lingering    // output sent and FIN sent; waiting briefly for the peer's EOF
    case closed       // descriptor released (or about to be, at the end of this iteration)
}

/// How to close.
public enum CloseMode: Sendable {
    /// Flush queued output (bounded by a deadline), send close_notify on TLS,
    /// half-close, then wait briefly for the peer to finish, so the last reply
    /// is not destroyed by a TCP reset. Before the connection is open (still
    /// connecting or handshaking) there is nothing to flush it to: same as immediate.
    case graceful
    /// Drop queued output and close now.
    case immediate
}

/// Why a connection closed. Reported exactly once, through the delegate.
public enum CloseReason: Error, Sendable, Equatable, CustomStringConvertible {
    /// This side asked for the close.
    case localClose
    /// The peer ended the stream in order: TCP FIN on plain, close_notify on TLS.
    case peerClosed
    /// TLS only: the peer closed TCP without close_notify (data could have been truncated).
    case eofWithoutCloseNotify
    /// The peer reset the connection (ECONNRESET/EPIPE).
    case reset
    /// The TLS handshake did not finish before its deadline.
    case handshakeTimeout
    /// The TLS handshake failed; the error says why (verification result included).
    case handshakeFailed(TLSError)
    /// A TLS protocol error after the handshake.
    case tlsFailure(TLSError)
    /// The TCP connect failed.
    case connectFailed(Errno)
    /// Another socket error.
    case socketError(Errno)
    /// Graceful close could not flush queued output before its deadline.
    case closeTimeout
    /// More output was queued than the connection's limit allows: the peer is not reading.
    case outputLimitExceeded(Int)

    public var description: String {
        switch self {
        case .localClose: return "closed locally"
        case .peerClosed: return "closed by peer"
        case .eofWithoutCloseNotify: return "peer closed TCP without TLS close_notify"
        case .reset: return "connection reset by peer"
        case .handshakeTimeout: return "TLS handshake timed out"
        case .handshakeFailed(let error): return "TLS handshake failed: \(error)"
        case .tlsFailure(let error): return "TLS error: \(error)"
        case .connectFailed(let error): return "connect failed: \(error)"
        case .socketError(let error): return "socket error: \(error)"
        case .closeTimeout: return "queued output not drained before the close deadline"
        case .outputLimitExceeded(let limit): return "peer not reading: more than \(limit) bytes of output queued"
        }
    }
}

/// Callbacks from a connection, always on the loop thread.
public protocol ConnectionDelegate: AnyObject {
    /// The connection is ready for application bytes (after the TLS handshake).
    func connectionDidOpen(_ connection: any Connection)
    /// Bytes arrived. `bytes` is valid only during the call (it points into a
    /// buffer shared by the whole loop): copy what must be kept.
    func connection(_ connection: any Connection, didReceive bytes: UnsafeRawBufferPointer)
    /// The connection is finished; called once, after the callback that caused
    /// it has returned. The connection drops its delegate afterwards.
    func connection(_ connection: any Connection, didCloseWith reason: CloseReason)
}

/// A byte stream driven by an `EventLoop`: plain TCP or TLS.
/// All members must be used on the loop's thread.
public protocol Connection: AnyObject {
    var delegate: (any ConnectionDelegate)? { get set }
    var state: ConnectionState { get }
    var security: TransportSecurity { get }
    /// The verified client/server certificate, or nil (plain, or no certificate sent).
    var peerIdentity: PeerIdentity? { get }
    /// e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256", or "plaintext".
    var securityDescription: String { get }
    /// The peer's address, when known.
    var remoteAddress: SocketAddress? { get }
    /// Bytes queued but not yet accepted by the kernel (or by TLS).
    var bufferedOutputByteCount: Int { get }
    /// A `write` that would queue more than this closes the connection with
    /// `.outputLimitExceeded` (a peer that stopped reading). Default: unlimited.
    var maximumBufferedOutput: Int { get set }

    /// Registers with the loop and starts connecting/handshaking.
    /// A plain server-side connection opens (calls `connectionDidOpen`) at once.
    /// If registration fails it throws, and the connection is closed (the
    /// delegate hears `didCloseWith` after the current iteration).
    func start() throws(Errno)
    /// Queues a copy of `bytes` for sending. They leave in the loop's flush phase,
    /// coalesced with everything else queued for this connection in the same
    /// iteration. Ignored once the connection is closing or closed.
    func write(_ bytes: UnsafeRawBufferPointer)
    /// Closes; see `CloseMode`. Safe inside any callback and safe to repeat.
    func close(_ mode: CloseMode)
}

extension Connection {
    /// Queues the UTF-8 bytes of `text`.
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    /// Queues `bytes`.
    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }
}
