// OutboundMessage: one encoded protocol line (or several) on its way to one or
// many clients, and the link through which the core hands it out.
//
// The core encodes each event once and passes the same OutboundMessage to
// every recipient's link, which copies the bytes into that client's output.
// No I/O here.

public final class OutboundMessage {
    public let bytes: [UInt8]

    public init(line: String) {
        bytes = Array(line.utf8) + [UInt8(ascii: "\n")]
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// The core's view of one client connection, implemented by the server layer.
public protocol ChatSessionLink: AnyObject {
    /// Queues `message` for the client. Returns false when it could not be
    /// queued (the client stopped reading and is being disconnected).
    func send(_ message: OutboundMessage) -> Bool
    /// Flushes what was queued, then closes the connection. The server layer
    /// later reports the end with `ChatServerCore.disconnect`.
    func closeAfterFlush()
}
