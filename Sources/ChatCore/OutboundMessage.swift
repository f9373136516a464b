// OutboundMessage: one encoded protocol line (or several) on its way to one or
// many clients, and the link through which the core hands it out.
//
// The core encodes each event once and passes the same OutboundMessage to
// every recipient's link. `isBroadcast` marks a message meant for many
// recipients, so the transport can keep one copy for all of them instead of
// one per recipient. No I/O here.

public final class OutboundMessage {
    public let bytes: [UInt8]
    /// Sent to several recipients (a room event); false for a reply to one client.
    public let isBroadcast: Bool

    public init(line: String, broadcast: Bool = false) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.utf8.count + 1)
        bytes.appendUTF8(line)
        bytes.append(UInt8(ascii: "\n"))
        self.bytes = bytes
        isBroadcast = broadcast
    }

    /// The line of `words` joined by single spaces, built straight into its bytes (no
    /// intermediate String: every room message is built this way, once per node).
    public init(words: String..., broadcast: Bool = false) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.reduce(words.count) { $0 + $1.utf8.count })
        for (index, word) in words.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: " ")) }
            bytes.appendUTF8(word)
        }
        bytes.append(UInt8(ascii: "\n"))
        self.bytes = bytes
        isBroadcast = broadcast
    }

    /// A line already encoded: `bytes` must end with its line feed.
    public init(bytes: [UInt8], broadcast: Bool = false) {
        self.bytes = bytes
        isBroadcast = broadcast
    }

    public var text: String { String(decoding: bytes, as: UTF8.self) }
}

/// The core's view of one client connection, implemented by the server layer.
public protocol ChatSessionLink: AnyObject {
    /// Queues `message` for the client. Returns false when it could not be
    /// queued (the client stopped reading and is being disconnected).
    func send(_ message: OutboundMessage) -> Bool
    /// Flushes what was queued, then closes the connection because of `reason`.
    /// The server layer later reports the end with `ChatServerCore.disconnect`.
    func closeAfterFlush(_ reason: SessionEndReason)
    /// The session's name changed (NICK); for the server's log.
    func sessionRenamed(from oldName: String, to newName: String)
    /// Bytes that can still be queued before the client counts as not reading (a long
    /// reply such as HISTORY stops short of it instead of getting the client closed).
    var outputRoom: Int { get }
    /// STARTTLS was accepted and `OK STARTTLS` queued: switch the connection to TLS now
    /// (nothing more may be read as plaintext), then call `ChatServerCore.upgraded` after
    /// the handshake, or end the connection if it fails. A link without TLS never calls back,
    /// so the session stays frozen: it never falls back to plaintext.
    func startTLS()
}

extension ChatSessionLink {
    public func sessionRenamed(from oldName: String, to newName: String) {}
    public var outputRoom: Int { Int.max }
    public func startTLS() {}
}

/// Why the core ended a session: one short word each, for logs and metrics.
public enum SessionEndReason: String, Sendable, CaseIterable {
    /// The client sent BYE.
    case bye
    /// The client sent a line over the length limit.
    case lineTooLong = "line-too-long"
    /// No command within the first-command timeout after the greeting.
    case firstCommandTimeout = "first-command-timeout"
    /// No reply to the idle PING within the grace period.
    case idle = "idle-timeout"
    /// A newer login with the same certificate name took over.
    case replaced
    /// The server is shutting down.
    case shutdown
    /// The client kept sending far above its command rate (refusals ran out).
    case flood = "rate-limit"
    /// A CRL loaded after the session began lists its certificate (or one above it).
    case revoked
}
