// TLSConnection: a `Connection` over TLS, driven by readiness events.
//
// Supplies TLS transport steps to `StreamConnection`. The one hard problem of
// non-blocking TLS is handled by mapping: every SSL call's WANT_READ or
// WANT_WRITE becomes `.wouldBlock(needs: .read/.write)`, whichever direction
// the caller was going, and StreamConnection waits for exactly that. Records
// already decrypted inside OpenSSL (SSL_has_pending) are re-read without a
// new readiness event. Each SSL_write takes up to 16 KiB (one record) from the
// front of what the connection has queued: its range of the loop's broadcast
// arena, or its own contiguous output buffer. A loop timer enforces the handshake deadline. After the
// handshake, the verify result (and a client's key pin) is checked again and
// the peer identity kept.
// A client also notes whether the server asked for its certificate and what
// the server's first bytes were, so failures can be explained
// (TLSConnection+ClientDiagnostics). A connection upgraded with STARTTLS is
// made and first sends the plaintext replies it still owes in
// TLSConnection+Upgrade. This file does not choose policy; `TLSContext` does.
#if canImport(Glibc)
import Glibc
#endif
internal import CTLSShim

public final class TLSConnection: StreamConnection {
    public let context: TLSContext
    private(set) var ssl: OpaquePointer?
    private var handshakeTimer: LoopTimer?
    private var verifiedPeer: PeerIdentity?
    private var negotiated = "TLS (handshaking)"
    /// An inspect-only client (the server is not verified) never writes application data.
    private let refusesData: Bool
    /// Client: the name the server certificate must match.
    let expectedServerName: String?
    /// Client: the header (5 bytes) of the first record the server sent, as OpenSSL read it.
    var firstServerBytes: [UInt8] = []
    /// Client: true once the server sent a CertificateRequest during the handshake. Without
    /// one, OpenSSL never sends our certificate: the connection is anonymous at the TLS level.
    public internal(set) var serverRequestedCertificate = false
    /// Client: the pin (SHA-256 of the SubjectPublicKeyInfo) of the server's certificate, once
    /// the handshake is done (with an inspect-only context: whatever the server presented).
    public private(set) var serverKeyPin: ServerKeyPin?
    /// After STARTTLS: plaintext bytes owed from before the upgrade (ending with the
    /// `OK STARTTLS` reply), written raw before the handshake reads or writes anything
    /// (TLSConnection+Upgrade).
    var plaintextPrefix: [UInt8] = []
    var plaintextPrefixSent = 0

    public override var security: TransportSecurity { .tls }
    public override var peerIdentity: PeerIdentity? { verifiedPeer }
    public override var securityDescription: String { negotiated }

    /// Wraps an accepted socket (server side); the handshake starts in `start()`.
    public init(accepted socket: Socket, loop: EventLoop, context: TLSContext) throws(TLSError) {
        precondition(context.configuration.role == .server, "an accepted socket needs a server context")
        self.context = context
        expectedServerName = nil
        refusesData = false
        super.init(socket: socket, loop: loop, connecting: false)
        do {
            ssl = try context.makeSession(descriptor: socket.descriptor, serverName: nil)
        } catch {
            socket.close()
            throw error
        }
        SSL_set_accept_state(ssl)
    }

    /// Starts a non-blocking connect to `address` expecting a certificate for
    /// `serverName` (DNS name or IP literal); call `start()` next.
    public static func connect(
        to address: SocketAddress, serverName: String, loop: EventLoop, context: TLSContext,
        options: SocketOptions = SocketOptions()
    ) throws -> TLSConnection {
        precondition(context.configuration.role == .client, "connecting needs a client context")
        let (socket, _) = try Socket.connecting(to: address, options: options)
        do {
            let ssl = try context.makeSession(descriptor: socket.descriptor, serverName: serverName)
            SSL_set_connect_state(ssl)
            return TLSConnection(socket: socket, loop: loop, context: context, ssl: ssl, serverName: serverName, connecting: true)
        } catch {
            socket.close()
            throw error
        }
    }

    /// Wraps `ssl`, made by `context` for `socket` with its connect or accept state set.
    /// A client (`serverName` given) watches the handshake for its diagnostics.
    /// `plaintextPrefix`: see TLSConnection+Upgrade.
    init(socket: Socket, loop: EventLoop, context: TLSContext, ssl: OpaquePointer, serverName: String?,
         connecting: Bool, plaintextPrefix: [UInt8] = []) {
        self.context = context
        self.ssl = ssl
        expectedServerName = serverName
        self.plaintextPrefix = plaintextPrefix
        refusesData = context.configuration.inspectOnly
        super.init(socket: socket, loop: loop, connecting: connecting)
        if serverName != nil {
            watchForCertificateRequest(ssl)
            watchFirstServerRecord(ssl)
        }
    }

    /// The most plaintext one TLS record carries (RFC 8446, 5.1).
    static let maximumRecordPayload = 16 * 1024
    /// SSL_free_buffers could free a buffer still holding a record before OpenSSL 3.0.14.
    static let freeingBuffersIsSafe = OpenSSL_version_num() >= 0x3000_00e0

    deinit {
        handshakeTimer?.cancel()
        if let ssl { SSL_free(ssl) }
    }

    // MARK: Transport steps

    override func transportHandshakeStarted() {
        // unowned, not weak: a weak reference would move every retain and release of this
        // connection to the slow side-table path. The timer is cancelled (dropping this
        // closure) when the handshake ends, in finish, and in deinit.
        handshakeTimer = loop.schedule(after: context.configuration.handshakeTimeout) { [unowned self] in
            finish(.handshakeTimeout)
        }
    }

    override func transportHandshakeEnded() {
        handshakeTimer?.cancel()
        handshakeTimer = nil
        // SSL_MODE_RELEASE_BUFFERS frees the read buffer only when a read finds nothing
        // more; a client that stays silent after its handshake would keep ~17 KB.
        // OpenSSL keeps any buffer that still holds data (since 3.0.14: CVE-2024-4741).
        if let ssl, Self.freeingBuffersIsSafe { _ = SSL_free_buffers(ssl) }
    }

    override func transportHandshake() -> TransportStep {
        guard let ssl else { return .end(.localClose) }
        if let blocked = sendPlaintextPrefix() { return blocked }
        TLSError.clearQueue()
        Errno.clear()
        let status = SSL_do_handshake(ssl)
        if status == 1 {
            if expectedServerName != nil { stopWatchingServerRecords(ssl) }
            return acceptVerifiedPeer(ssl)
        }
        let errno = Errno.current
        let code = SSL_get_error(ssl, status)
        switch code {
        case SSL_ERROR_WANT_READ: return .wouldBlock(needs: .read)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(needs: .write)
        default:
            var error = explainedRevocation(TLSError.drain("handshake", verifyFailure: verifyFailure(ssl)), ssl: ssl)
            if error.reasons.isEmpty {
                let detail = code == SSL_ERROR_SYSCALL && errno.rawValue != 0 ? "\(errno)" : "peer closed the connection"
                error = TLSError(operation: "handshake", reasons: [detail], verifyFailure: error.verifyFailure)
            }
            return .end(.handshakeFailed(explainedClientFailure(error, ssl: ssl)))
        }
    }

    /// The handshake succeeded; double-check the verification verdict before
    /// anyone sees the identity.
    private func acceptVerifiedPeer(_ ssl: OpaquePointer) -> TransportStep {
        let result = SSL_get_verify_result(ssl)
        let certificate = SSL_get1_peer_certificate(ssl)
        defer { if let certificate { X509_free(certificate) } }
        if let certificate, context.configuration.role == .client {
            let digest = TLSContext.publicKeyDigest(of: certificate)
            serverKeyPin = digest.map { ServerKeyPin(digest: $0) }
            if context.configuration.inspectOnly { return handshakeDone(ssl) }
            guard context.acceptsServer(verifyResult: result, keyDigest: digest) else {
                var reasons = ["peer certificate not verified"]
                if !context.configuration.serverKeyPins.isEmpty {
                    reasons.append(ServerKeyPin.mismatch(received: digest ?? [], expected: context.configuration.serverKeyPins))
                }
                return .end(.handshakeFailed(TLSError(operation: "handshake", reasons: reasons, verifyFailure: verifyFailure(ssl))))
            }
            verifiedPeer = PeerIdentity.extract(from: certificate)
        } else if let certificate {
            guard result == X509_V_OK else {
                return .end(.handshakeFailed(TLSError(operation: "handshake", reasons: ["peer certificate not verified"],
                                                      verifyFailure: verifyFailure(ssl))))
            }
            if context.configuration.clientAuthentication != .none || context.configuration.role == .client {
                verifiedPeer = PeerIdentity.extract(from: certificate)
            }
        } else if context.configuration.role == .client || context.configuration.clientAuthentication == .require {
            return .end(.handshakeFailed(TLSError(operation: "handshake", reasons: ["peer sent no certificate"])))
        }
        return handshakeDone(ssl)
    }

    private func handshakeDone(_ ssl: OpaquePointer) -> TransportStep {
        let version = String(cString: SSL_get_version(ssl))
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "?"
        negotiated = "\(version) \(cipher)"
        return .progress(0)
    }

    private func verifyFailure(_ ssl: OpaquePointer) -> String? {
        let result = SSL_get_verify_result(ssl)
        guard result != X509_V_OK else { return nil }
        return String(cString: X509_verify_cert_error_string(result))
    }

    override func transportRead(into buffer: UnsafeMutableRawBufferPointer) -> TransportStep {
        guard let ssl else { return .end(.localClose) }
        TLSError.clearQueue()
        Errno.clear()
        var count = 0
        let status = SSL_read_ex(ssl, buffer.baseAddress, min(buffer.count, 16 * 1024), &count)
        return status == 1 ? .progress(count) : failure(ssl, status, operation: "read")
    }

    override func transportWrite(_ pending: UnsafeRawBufferPointer) -> TransportStep {
        guard let ssl else { return .end(.localClose) }
        if refusesData {
            return .end(.tlsFailure(TLSError(operation: "write", reasons: ["this connection did not verify the server; it carries no data"])))
        }
        // One record of up to 16 KiB from the front of the queue. A retry after WANT_*
        // passes the same prefix (possibly moved, possibly longer), as OpenSSL requires.
        let length = min(pending.count, Self.maximumRecordPayload)
        TLSError.clearQueue()
        Errno.clear()
        var written = 0
        let status = SSL_write_ex(ssl, pending.baseAddress, length, &written)
        return status == 1 ? .progress(written) : failure(ssl, status, operation: "write")
    }

    override func transportShutdown() -> TransportStep {
        guard let ssl else { return .progress(0) }
        TLSError.clearQueue()
        let status = SSL_shutdown(ssl)  // sends close_notify; we do not wait for the peer's
        if status >= 0 { return .progress(0) }
        if SSL_get_error(ssl, status) == SSL_ERROR_WANT_WRITE { return .wouldBlock(needs: .write) }
        TLSError.clearQueue()
        return .progress(0)  // could not send close_notify; closing anyway
    }

    /// OpenSSL reads ahead as much as its buffer holds; when nothing it read is left
    /// unprocessed, the socket is as good as drained (anything more is reported by epoll).
    override func transportDrained(afterReading count: Int, of requested: Int) -> Bool {
        guard let ssl else { return true }
        return SSL_has_pending(ssl) == 0
    }

    override var transportHasBufferedInput: Bool {
        guard let ssl else { return false }
        return SSL_has_pending(ssl) == 1
    }

    override func transportRelease() {
        if let ssl { SSL_free(ssl) }
        ssl = nil
    }

    /// Maps a failed SSL_read/SSL_write to the shared step convention.
    private func failure(_ ssl: OpaquePointer, _ status: Int32, operation: String) -> TransportStep {
        let errno = Errno.current
        switch SSL_get_error(ssl, status) {
        case SSL_ERROR_WANT_READ: return .wouldBlock(needs: .read)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(needs: .write)
        case SSL_ERROR_ZERO_RETURN: return .end(.peerClosed)
        case SSL_ERROR_SYSCALL:
            if errno == .connectionReset || errno == .brokenPipe { return .end(.reset) }
            if ERR_peek_error() == 0 { return errno.rawValue == 0 ? .end(.eofWithoutCloseNotify) : .end(.socketError(errno)) }
            return .end(.tlsFailure(TLSError.drain(operation)))
        default:
            if TLSError.queueHoldsUnexpectedEOF() {
                TLSError.clearQueue()
                return .end(.eofWithoutCloseNotify)
            }
            return .end(.tlsFailure(TLSError.drain(operation)))
        }
    }
}
