// TLSContextProvider: the one place a server asks for the TLS context that new
// handshakes must use. A reload swaps `current`; connections already made
// keep their SSL objects, which hold their own reference to the old SSL_CTX,
// so a swap never touches a live session. Listeners (the TLS port, a
// STARTTLS upgrade on the plaintext port) read `current` at the moment they
// start a handshake. It does not build, check or watch anything: the
// reloader that owns it does.
public final class TLSContextProvider {
    /// The context for the next handshake.
    public private(set) var current: TLSContext

    public init(_ context: TLSContext) { current = context }

    /// New handshakes use `context` from now on.
    public func replace(with context: TLSContext) { current = context }
}
