// NATSErrors: the error values of the NATS client. `NATSProtocolError` says
// why bytes from the server could not be parsed (the connection is closed for
// it); `NATSError` is what callers see from publishing, subscribing, requests
// and connecting. Every case carries or builds a readable sentence.

/// Why the server's byte stream was rejected. Always closes the connection.
public enum NATSProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    case controlLineTooLong(limit: Int)
    case unknownOperation(String)
    case malformedControlLine(String)
    case payloadTooLarge(size: Int, limit: Int)
    case missingPayloadTerminator(String)
    case malformedHeaders(String)
    case malformedInfo(String)

    public var description: String {
        switch self {
        case .controlLineTooLong(let limit): return "protocol error: control line longer than \(limit) bytes"
        case .unknownOperation(let op): return "protocol error: unknown operation '\(op)'"
        case .malformedControlLine(let line): return "protocol error: malformed control line '\(line)'"
        case .payloadTooLarge(let size, let limit):
            return "protocol error: message payload of \(size) bytes exceeds the limit of \(limit) bytes"
        case .missingPayloadTerminator(let subject): return "protocol error: payload of a message on '\(subject)' not followed by CRLF"
        case .malformedHeaders(let why): return "protocol error: \(why)"
        case .malformedInfo(let why): return "protocol error: \(why)"
        }
    }
}

/// Errors a caller of NATSClient sees.
public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The subject is empty, has empty tokens or whitespace, or has wildcards where none are allowed.
    case invalidSubject(String)
    case invalidHeader(String)
    /// The message (headers and payload) is larger than the server's max_payload.
    case payloadTooLarge(size: Int, limit: Int)
    /// The outgoing buffer is full: retry after the connection has drained (flow control).
    case wouldBlock(bufferedBytes: Int, limit: Int)
    /// Disconnected and the reconnect buffer is full.
    case reconnectBufferFull(limit: Int)
    /// The client was closed (by `close()` or after giving up reconnecting).
    case closed
    /// More subscriptions than `maximumSubscriptions`.
    case tooManySubscriptions(limit: Int)
    /// Headers were given but the server does not support them (INFO headers false).
    case headersNotSupported
    /// Too many requests are waiting for replies.
    case tooManyOutstandingRequests(limit: Int)
    /// No reply arrived before the request's deadline.
    case timedOut(subject: String)
    /// The server answered that nobody subscribes to the request's subject.
    case noResponders(subject: String)
    /// The server sent -ERR; the text is the server's.
    case serverError(String)
    /// An nkey seed (or other credential) is unusable; says why.
    case invalidCredentials(String)
    /// A URL could not be understood.
    case invalidURL(String)
    /// A TLS problem (configuration, or the server requires TLS and none was configured).
    case tls(String)

    public var description: String {
        switch self {
        case .invalidSubject(let subject): return "invalid NATS subject '\(subject)'"
        case .invalidHeader(let why): return "invalid NATS header: \(why)"
        case .payloadTooLarge(let size, let limit): return "message of \(size) bytes exceeds the server's max_payload of \(limit) bytes"
        case .wouldBlock(let buffered, let limit): return "outgoing buffer full (\(buffered) of \(limit) bytes queued): retry later"
        case .reconnectBufferFull(let limit): return "disconnected and the reconnect buffer (\(limit) bytes) is full"
        case .closed: return "the NATS connection is closed"
        case .tooManySubscriptions(let limit): return "more than \(limit) subscriptions"
        case .headersNotSupported: return "the NATS server does not support message headers"
        case .tooManyOutstandingRequests(let limit): return "more than \(limit) requests are waiting for replies"
        case .timedOut(let subject): return "no reply to the request on '\(subject)' before its deadline"
        case .noResponders(let subject): return "no responders for the request on '\(subject)'"
        case .serverError(let text): return "NATS server error: \(text)"
        case .invalidCredentials(let why): return "NATS credentials: \(why)"
        case .invalidURL(let why): return "invalid NATS URL: \(why)"
        case .tls(let why): return "NATS TLS: \(why)"
        }
    }
}
