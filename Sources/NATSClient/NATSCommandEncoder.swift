// NATSCommandEncoder: builds the bytes of the commands a client sends (CONNECT,
// PUB, HPUB, SUB, UNSUB, PING, PONG) and validates subjects.
//
// Pure: no I/O and no state. It refuses subjects that would break the framing
// (empty, whitespace, empty tokens) and wildcards where a literal subject is
// needed; size limits are the client's (it knows the server's max_payload).

public enum NATSCommandEncoder {
    public static let ping: [UInt8] = Array("PING\r\n".utf8)
    public static let pong: [UInt8] = Array("PONG\r\n".utf8)

    /// Checks a subject: dot-separated non-empty tokens without whitespace or control
    /// characters; `*` and `>` only as whole tokens, `>` only last, and only if `wildcards`.
    public static func validate(subject: String, wildcards: Bool) throws(NATSError) {
        // Over UTF-8 bytes (it runs for every publish): tokens are non-empty, hold no space or
        // control byte, and a wildcard is a whole token ("*" anywhere, ">" last), when allowed.
        let bytes = subject.utf8
        guard !bytes.isEmpty, bytes.count <= 1024 else { throw .invalidSubject(subject) }
        var tokenLength = 0, tokenHasWildcard = false, lastWasFullWildcard = false
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                if tokenLength == 0 || lastWasFullWildcard { throw .invalidSubject(subject) }
                tokenLength = 0
                tokenHasWildcard = false
                continue
            }
            if byte <= 32 || byte == 127 { throw .invalidSubject(subject) }
            let isWildcard = byte == UInt8(ascii: "*") || byte == UInt8(ascii: ">")
            if isWildcard && (!wildcards || tokenLength > 0) || tokenHasWildcard { throw .invalidSubject(subject) }
            tokenHasWildcard = isWildcard
            lastWasFullWildcard = byte == UInt8(ascii: ">")
            tokenLength += 1
        }
        if tokenLength == 0 { throw .invalidSubject(subject) }
    }

    /// A queue group name: one token without whitespace.
    static func validate(queue: String) throws(NATSError) {
        guard !queue.isEmpty, !queue.utf8.contains(where: { $0 <= 32 || $0 == 127 }) else { throw .invalidSubject(queue) }
    }

    /// PUB or HPUB (when `headers` is given) with the payload and the final CRLF.
    public static func publish(subject: String, replyTo: String?, headers: NATSHeaders?, payload: [UInt8]) -> [UInt8] {
        let reply = replyTo.map { " \($0)" } ?? ""
        var bytes: [UInt8]
        if let headers {
            let block = headers.encoded()
            bytes = Array("HPUB \(subject)\(reply) \(block.count) \(block.count + payload.count)\r\n".utf8)
            bytes.reserveCapacity(bytes.count + block.count + payload.count + 2)
            bytes += block
        } else {
            bytes = Array("PUB \(subject)\(reply) \(payload.count)\r\n".utf8)
            bytes.reserveCapacity(bytes.count + payload.count + 2)
        }
        bytes += payload
        bytes += [13, 10]
        return bytes
    }

    public static func subscribe(subject: String, queue: String?, sid: UInt64) -> [UInt8] {
        Array("SUB \(subject)\(queue.map { " \($0)" } ?? "") \(sid)\r\n".utf8)
    }

    public static func unsubscribe(sid: UInt64, after maximum: Int?) -> [UInt8] {
        Array("UNSUB \(sid)\(maximum.map { " \($0)" } ?? "")\r\n".utf8)
    }

    /// CONNECT with the JSON `fields` (already encoded).
    public static func connect(json: [UInt8]) -> [UInt8] {
        Array("CONNECT ".utf8) + json + [13, 10]
    }
}
