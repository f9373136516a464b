// NATSSubscription: one subscription's identity and bookkeeping: subject,
// optional queue group, sid, the automatic unsubscribe limit and how many
// messages were delivered (so a renewal after reconnect asks only for the
// rest). The client owns the table and calls the handler; this type does no I/O.

public final class NATSSubscription {
    public let sid: UInt64
    public let subject: String
    public let queue: String?
    /// Unsubscribe after this many messages in total (nil: no limit).
    public internal(set) var maximumMessages: Int?
    public internal(set) var deliveredCount = 0
    /// False once unsubscribed (by the caller, the limit, or `close()`).
    public internal(set) var isActive = true
    let handler: (NATSMessage) -> Void

    init(sid: UInt64, subject: String, queue: String?, handler: @escaping (NATSMessage) -> Void) {
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self.handler = handler
    }

    /// Messages still wanted under the limit, or nil without one.
    var remaining: Int? { maximumMessages.map { max(0, $0 - deliveredCount) } }
}
