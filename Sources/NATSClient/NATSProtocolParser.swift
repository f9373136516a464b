// NATSProtocolParser: turns the bytes a NATS server sends, in pieces of any
// size, into operations: INFO, MSG, HMSG, PING, PONG, +OK and -ERR.
//
// Pure: no I/O, no clock. Feed bytes with `append`, then pull operations with
// `next()` until it returns nil (more bytes needed). Bounded: a control line
// longer than `maximumControlLine` or a payload larger than `maximumPayload`
// (updated from INFO by the client) is an error before the bytes are kept, so
// memory never exceeds one control line plus one payload plus the last read.
// Any malformed input throws a `NATSProtocolError` naming what was wrong; the
// parser is then unusable (the connection must close). Operation names are
// case-insensitive, as the protocol says. It does not act on operations.

public enum NATSServerOperation: Sendable, Equatable {
    case info(NATSServerInfo)
    case message(NATSMessage)
    case ping
    case pong
    case ok
    /// -ERR with the server's text, quotes removed.
    case error(String)
}

public struct NATSProtocolParser {
    public static let defaultMaximumControlLine = 4096

    public let maximumControlLine: Int
    /// The largest payload (headers included) accepted; the client sets it from INFO.
    public var maximumPayload: Int

    private var buffer: [UInt8] = []
    private var start = 0
    /// How far the current control line was already searched for CRLF (to avoid rescanning).
    private var scanned = 0
    /// A parsed MSG/HMSG control line whose payload has not fully arrived.
    private var pendingMessage: PendingMessage?
    private var failed: NATSProtocolError?

    private struct PendingMessage {
        var subject: String
        var sid: UInt64
        var replyTo: String?
        var headerBytes: Int?
        var totalBytes: Int
    }

    public init(maximumControlLine: Int = NATSProtocolParser.defaultMaximumControlLine, maximumPayload: Int = 1024 * 1024) {
        self.maximumControlLine = maximumControlLine
        self.maximumPayload = maximumPayload
    }

    /// Bytes received and not yet consumed by `next()`.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete operation, or nil if more bytes are needed.
    public mutating func next() throws(NATSProtocolError) -> NATSServerOperation? {
        if let failed { throw failed }
        do {
            return try parseNext()
        } catch {
            failed = error
            throw error
        }
    }

    private mutating func compact() {
        if start > 0 && (start == buffer.count || start >= 4096) {
            buffer.removeFirst(start)
            scanned = max(0, scanned - start)
            start = 0
        }
    }

    private mutating func parseNext() throws(NATSProtocolError) -> NATSServerOperation? {
        if let pending = pendingMessage { return try completeMessage(pending) }
        guard let lineEnd = try findLineEnd() else { return nil }
        let line = buffer[start..<lineEnd]
        start = lineEnd + 2
        scanned = start
        return try parseControlLine(line)
    }

    /// The index of the CR of the current line's CRLF, or nil if it has not arrived.
    /// Throws once the line is longer than allowed without one.
    private mutating func findLineEnd() throws(NATSProtocolError) -> Int? {
        var index = max(scanned, start)
        let limit = min(buffer.count, start + maximumControlLine + 1)
        while index < limit {
            if buffer[index] == 10 {
                guard index > start, buffer[index - 1] == 13 else {
                    throw .malformedControlLine(Self.printable(buffer[start..<index]) + " (line ends with LF, not CRLF)")
                }
                return index - 1
            }
            index += 1
        }
        scanned = index
        if index - start > maximumControlLine { throw .controlLineTooLong(limit: maximumControlLine) }
        return nil
    }

    private mutating func parseControlLine(_ line: ArraySlice<UInt8>) throws(NATSProtocolError) -> NATSServerOperation? {
        let opEnd = line.firstIndex { $0 == 32 || $0 == 9 } ?? line.endIndex
        let rest = line[opEnd...].drop { $0 == 32 || $0 == 9 }
        // MSG and HMSG (nearly every line) without building a string for the operation.
        let opBytes = line[line.startIndex..<opEnd]
        if Self.isOperation(opBytes, "MSG") || Self.isOperation(opBytes, "HMSG") {
            pendingMessage = try parseMessageLine(rest, hasHeaders: opBytes.count == 4, line: line)
            return try completeMessage(pendingMessage!)
        }
        let op = String(decoding: opBytes, as: UTF8.self).uppercased()
        switch op {
        case "MSG", "HMSG":
            pendingMessage = try parseMessageLine(rest, hasHeaders: op == "HMSG", line: line)
            return try completeMessage(pendingMessage!)
        case "PING" where rest.isEmpty: return .ping
        case "PONG" where rest.isEmpty: return .pong
        case "+OK" where rest.isEmpty: return .ok
        case "-ERR":
            var text = String(decoding: rest, as: UTF8.self).trimmingSpaces()
            if text.count >= 2, text.hasPrefix("'"), text.hasSuffix("'") { text = String(text.dropFirst().dropLast()) }
            return .error(text)
        case "INFO":
            guard !rest.isEmpty else { throw .malformedInfo("INFO without a JSON body") }
            return .info(try NATSServerInfo.decode(rest))
        case "PING", "PONG", "+OK":
            throw .malformedControlLine(Self.printable(line))
        default:
            throw .unknownOperation(Self.printable(line[line.startIndex..<opEnd]))
        }
    }

    private func parseMessageLine(_ arguments: ArraySlice<UInt8>, hasHeaders: Bool, line: ArraySlice<UInt8>) throws(NATSProtocolError) -> PendingMessage {
        let fields = arguments.split(whereSeparator: { $0 == 32 || $0 == 9 })
        let sizeCount = hasHeaders ? 2 : 1
        guard fields.count == 2 + sizeCount || fields.count == 3 + sizeCount,
              let sid = Self.number(fields[1], digits: 20) else {
            throw .malformedControlLine(Self.printable(line))
        }
        let sizes = fields.suffix(sizeCount).map { Self.number($0, digits: 10).map(Int.init) }
        guard sizes.allSatisfy({ $0 != nil }) else { throw .malformedControlLine(Self.printable(line)) }
        let total = sizes.last!!
        let headerBytes = hasHeaders ? sizes[0]! : nil
        if let headerBytes, headerBytes > total || headerBytes < 12 {  // "NATS/1.0\r\n\r\n" is the shortest block
            throw .malformedControlLine(Self.printable(line) + " (header size out of range)")
        }
        if total > maximumPayload { throw .payloadTooLarge(size: total, limit: maximumPayload) }
        return PendingMessage(subject: String(decoding: fields[0], as: UTF8.self), sid: sid,
                              replyTo: fields.count == 3 + sizeCount ? String(decoding: fields[2], as: UTF8.self) : nil,
                              headerBytes: headerBytes, totalBytes: total)
    }

    /// A decimal number of 1 to `digits` digits (sizes: 10, never overflowing an Int; sids: up to
    /// UInt64's 20, checked), or nil.
    private static func number(_ bytes: ArraySlice<UInt8>, digits: Int) -> UInt64? {
        DecimalDigits.value(bytes, maximumDigits: digits)
    }

    /// Whether `bytes` spell `name` (upper-case ASCII), in any case.
    private static func isOperation(_ bytes: ArraySlice<UInt8>, _ name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        return zip(bytes, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)).allSatisfy { $0 & 0xDF == $1 }
    }

    private mutating func completeMessage(_ pending: PendingMessage) throws(NATSProtocolError) -> NATSServerOperation? {
        guard buffer.count - start >= pending.totalBytes + 2 else { return nil }
        let payloadEnd = start + pending.totalBytes
        guard buffer[payloadEnd] == 13, buffer[payloadEnd + 1] == 10 else {
            throw .missingPayloadTerminator(pending.subject)
        }
        var headers: NATSHeaders?
        var payloadStart = start
        if let headerBytes = pending.headerBytes {
            headers = try NATSHeaders.parse(buffer[start..<(start + headerBytes)])
            payloadStart += headerBytes
        }
        let message = NATSMessage(subject: pending.subject, sid: pending.sid, replyTo: pending.replyTo,
                                  headers: headers, payload: Array(buffer[payloadStart..<payloadEnd]))
        start = payloadEnd + 2
        scanned = start
        pendingMessage = nil
        return .message(message)
    }

    /// Up to 80 characters of `bytes` for an error message, control characters escaped.
    static func printable(_ bytes: ArraySlice<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(80) {
            text += byte >= 32 && byte < 127 ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
        }
        return bytes.count > 80 ? text + "..." : text
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
