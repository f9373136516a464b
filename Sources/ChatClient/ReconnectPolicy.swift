// ReconnectPolicy: when `tlschat --reconnect` tries again after the connection
// ends, and how long it waits first.
//
// Retried: ends that a restart or a network blip explains (the server closed
// or reset the connection, shut down, went idle on us, could not be reached,
// or hung up during the handshake without saying why). Never retried: any
// certificate verification failure or TLS alert (retrying cannot fix it, and
// quietly retrying would hide an attack), and a port that speaks the other
// transport. Delays grow exponentially from 1 s to a 30 s cap, each drawn
// between half and all of its step so many clients do not return in
// lockstep; a greeting resets them.
//
// Replaced by another login with our certificate (`NOTICE replaced`): chat/1
// cannot tell whether that session is still there without signing in, and
// signing in takes the name back. So the client yields: it waits long (steps
// of 2 min doubling to 16 min, jittered), then signs in again, which gets it
// back in if the other session ended and otherwise takes the name back once.
// If the session it got back this way is replaced again within 10 minutes,
// the other session is in use and its client wants the name too: the policy
// stops for good rather than have two clients take turns replacing each
// other. A session held longer than that counts as settled: a later
// replacement starts over. The caller supplies the randomness and a
// millisecond clock and performs the waiting; the same TLS settings are used
// every time, so a reconnect never downgrades. Pure.

public struct ReconnectPolicy: Sendable {
    /// The first step, in milliseconds.
    public let initialDelay: Int
    /// The largest step, in milliseconds.
    public let maximumDelay: Int
    /// The first step after being replaced, and the largest.
    public let replacedInitialDelay: Int
    public let replacedMaximumDelay: Int
    /// A session taken back after a replacement and replaced again within this many
    /// milliseconds of its greeting means another client is using the name: stop.
    public let contestWindow: Int
    /// Attempts since the last greeting.
    public private(set) var attempts = 0
    /// Milliseconds from any fixed origin (monotonic).
    private let clock: @Sendable () -> UInt64
    /// Between a replacement and the next greeting: long steps.
    private var waitingAfterReplacement = false
    /// The current session was got back after a replacement, at this clock time.
    private var takenBackAt: UInt64?

    /// What to do after a connection ended.
    public enum Decision: Equatable, Sendable {
        /// Connect again after this many milliseconds; `explanation` says why it waits so long, if it does.
        case retry(afterMilliseconds: Int, explanation: String?)
        /// Give up; `reason` says why.
        case stop(reason: String)
    }

    public init(initialDelay: Int = 1_000, maximumDelay: Int = 30_000,
                replacedInitialDelay: Int = 120_000, replacedMaximumDelay: Int = 960_000,
                contestWindow: Int = 600_000, clock: @escaping @Sendable () -> UInt64 = { 0 }) {
        precondition(initialDelay > 0 && maximumDelay >= initialDelay)
        precondition(replacedInitialDelay > 0 && replacedMaximumDelay >= replacedInitialDelay)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.replacedInitialDelay = replacedInitialDelay
        self.replacedMaximumDelay = replacedMaximumDelay
        self.contestWindow = contestWindow
        self.clock = clock
    }

    /// Whether an end with this cause is worth another attempt, apart from replacement
    /// (see `decide`). `lastNotice` is the topic of the last `NOTICE` on this connection.
    public static func shouldRetry(after cause: DisconnectCause, lastNotice: String?) -> Bool {
        switch cause {
        case .serverClosed, .closedWithoutNotify, .reset, .handshakeTimeout, .connectFailed, .other:
            return true
        case .serverSpeaksTLS:
            return false
        case .handshakeFailed(let text):
            // A server at its connection limit (or restarting) hangs up before TLS starts.
            guard DisconnectExplainer.meaning(ofTLSText: text) == nil else { return false }
            return text.contains("peer closed the connection") || text.contains("unexpected eof")
        case .tlsFailure(let text):
            return DisconnectExplainer.meaning(ofTLSText: text) == nil && !text.contains("certificate")
        }
    }

    /// Decides what follows the end of a connection; `unit` is a random number in 0..<1.
    public mutating func decide(after cause: DisconnectCause, lastNotice: String?, unit: Double) -> Decision {
        guard lastNotice == "replaced" else {
            takenBackAt = nil  // that session ended otherwise: the next one is not a take-over
            guard Self.shouldRetry(after: cause, lastNotice: lastNotice) else { return .stop(reason: "trying again cannot fix this") }
            return .retry(afterMilliseconds: nextDelay(unit: unit), explanation: nil)
        }
        let minutes = contestWindow / 60_000
        if let takenBackAt, clock() &- takenBackAt < UInt64(contestWindow) {
            self.takenBackAt = nil
            return .stop(reason: "another session with your certificate took the name back within \(minutes) min of this one "
                + "getting it back, so it is in use; tlschat stops rather than take turns replacing it (start tlschat again "
                + "to take over; a server run with --sessions-per-user N lets several sessions coexist)")
        }
        takenBackAt = nil
        waitingAfterReplacement = true
        attempts = 0
        return .retry(afterMilliseconds: nextDelay(unit: unit),
                      explanation: "another login with your certificate replaced this session; tlschat waits, then signs in again: "
                        + "back in if that session has ended, else it takes the name back once (and stops if it is "
                        + "taken back again within \(minutes) min)")
    }

    /// The wait before the next attempt, in milliseconds; `unit` is a random number in 0..<1.
    public mutating func nextDelay(unit: Double) -> Int {
        let (first, cap) = waitingAfterReplacement ? (replacedInitialDelay, replacedMaximumDelay) : (initialDelay, maximumDelay)
        let shift = min(attempts, 20)
        let step = min(cap, first << shift)
        attempts += 1
        return step / 2 + Int(Double(step - step / 2) * min(max(unit, 0), 0.999_999))
    }

    /// A connection was greeted: the next failure starts from the first step again.
    public mutating func connected() {
        attempts = 0
        takenBackAt = waitingAfterReplacement ? clock() : nil
        waitingAfterReplacement = false
    }
}
