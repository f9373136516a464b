// NATSMessage: one message delivered by the server (MSG or HMSG): subject,
// subscription id, optional reply subject, optional headers and the payload.
// A plain value; it does not know which subscription object it belongs to.

public struct NATSMessage: Sendable, Equatable {
    public var subject: String
    /// The subscription id the server delivered it for.
    public var sid: UInt64
    /// Where a reply should be published, if the sender asked for one.
    public var replyTo: String?
    /// Present only for HMSG.
    public var headers: NATSHeaders?
    public var payload: [UInt8]

    public init(subject: String, sid: UInt64, replyTo: String? = nil, headers: NATSHeaders? = nil, payload: [UInt8]) {
        self.subject = subject
        self.sid = sid
        self.replyTo = replyTo
        self.headers = headers
        self.payload = payload
    }

    /// The payload as UTF-8 text (invalid bytes replaced).
    public var text: String { String(decoding: payload, as: UTF8.self) }
}
