// ReconnectPolicy: when `tlschat --reconnect` tries again after the connection
// ends, and how long it waits first.
//
// Retried: ends that a restart or a network blip explains (the server closed
// or reset the connection, shut down, went idle on us, could not be reached,
// or hung up during the handshake without saying why). Never retried: any
// certificate verification failure or TLS alert (retrying cannot fix it, and
// quietly retrying would hide an attack), and a server that told us another
// connection took over our certificate's name (two clients would evict each
// other forever). Delays grow exponentially from 1 s to a 30 s cap, each
// drawn between half and all of its step so many clients do not return in
// lockstep; a greeting resets them. The caller supplies the randomness and
// performs the waiting; the same TLS settings are used every time, so a
// reconnect never downgrades. Pure.

public struct ReconnectPolicy: Equatable, Sendable {
    /// The first step, in milliseconds.
    public let initialDelay: Int
    /// The largest step, in milliseconds.
    public let maximumDelay: Int
    /// Attempts since the last greeting.
    public private(set) var attempts = 0

    public init(initialDelay: Int = 1_000, maximumDelay: Int = 30_000) {
        precondition(initialDelay > 0 && maximumDelay >= initialDelay)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
    }

    /// Whether an end with this cause is worth another attempt. `lastNotice` is the topic of
    /// the last `NOTICE` the server sent on this connection (e.g. "shutdown", "replaced").
    public static func shouldRetry(after cause: DisconnectCause, lastNotice: String?) -> Bool {
        if lastNotice == "replaced" { return false }
        switch cause {
        case .serverClosed, .closedWithoutNotify, .reset, .handshakeTimeout, .connectFailed, .other:
            return true
        case .handshakeFailed(let text):
            // A server at its connection limit (or restarting) hangs up before TLS starts.
            guard DisconnectExplainer.meaning(ofTLSText: text) == nil else { return false }
            return text.contains("peer closed the connection") || text.contains("unexpected eof")
        case .tlsFailure(let text):
            return DisconnectExplainer.meaning(ofTLSText: text) == nil && !text.contains("certificate")
        }
    }

    /// The wait before the next attempt, in milliseconds; `unit` is a random number in 0..<1.
    public mutating func nextDelay(unit: Double) -> Int {
        let shift = min(attempts, 20)
        let step = min(maximumDelay, initialDelay << shift)
        attempts += 1
        return step / 2 + Int(Double(step - step / 2) * min(max(unit, 0), 0.999_999))
    }

    /// A connection was greeted: the next failure starts from the first step again.
    public mutating func connected() { attempts = 0 }
}
