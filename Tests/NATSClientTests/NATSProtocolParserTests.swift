// NATSProtocolParserTests: the server-side protocol parser fed one byte at a
// time and whole: every operation, headers with and without a status line,
// case-insensitive names, and each malformed or oversize input turning into a
// readable protocol error (never a crash, never unbounded buffering).
@testable import NATSClient
import Testing

private func parseAll(_ parser: inout NATSProtocolParser, _ bytes: [UInt8], oneByteAtATime: Bool) throws -> [NATSServerOperation] {
    var operations: [NATSServerOperation] = []
    let pieces = oneByteAtATime ? bytes.map { [$0] } : [bytes]
    for piece in pieces {
        parser.append(piece)
        while let operation = try parser.next() { operations.append(operation) }
    }
    return operations
}

private func parse(_ text: String, maximumControlLine: Int = 4096, maximumPayload: Int = 1 << 20) -> [Result<[NATSServerOperation], NATSProtocolError>] {
    [true, false].map { oneByte in
        var parser = NATSProtocolParser(maximumControlLine: maximumControlLine, maximumPayload: maximumPayload)
        do {
            return .success(try parseAll(&parser, Array(text.utf8), oneByteAtATime: oneByte))
        } catch let error as NATSProtocolError {
            return .failure(error)
        } catch {
            Issue.record("unexpected error \(error)")
            return .success([])
        }
    }
}

/// Both feeding modes give `expected`.
private func expectOperations(_ text: String, _ expected: [NATSServerOperation], sourceLocation: SourceLocation = #_sourceLocation) {
    for result in parse(text) {
        #expect(result == .success(expected), sourceLocation: sourceLocation)
    }
}

private func expectFailure(_ text: String, maximumControlLine: Int = 4096, maximumPayload: Int = 1 << 20,
                           sourceLocation: SourceLocation = #_sourceLocation, _ check: (NATSProtocolError) -> Bool) {
    for result in parse(text, maximumControlLine: maximumControlLine, maximumPayload: maximumPayload) {
        switch result {
        case .success(let operations): Issue.record("parsed \(operations) instead of failing", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(check(error), "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.hasPrefix("protocol error: "), sourceLocation: sourceLocation)
        }
    }
}

@Suite("NATSProtocolParser")
struct NATSProtocolParserTests {
    @Test("PING, PONG, +OK and -ERR, in any case, fed byte by byte and whole")
    func simpleOperations() {
        expectOperations("PING\r\nPONG\r\n+OK\r\n-ERR 'Authorization Violation'\r\nping\r\n",
                         [.ping, .pong, .ok, .error("Authorization Violation"), .ping])
    }

    @Test("INFO is decoded with its limits, TLS flags and connect_urls")
    func info() throws {
        let text = #"INFO {"server_id":"S1","version":"2.9.10","max_payload":2048,"headers":true,"tls_required":true,"connect_urls":["10.0.0.1:4222"],"jetstream":true,"extra":{"a":1}}"# + "\r\n"
        for result in parse(text) {
            guard case .success(let ops) = result, case .info(let info)? = ops.first else {
                Issue.record("no INFO: \(result)")
                continue
            }
            #expect(info.serverID == "S1")
            #expect(info.maximumPayload == 2048)
            #expect(info.tlsRequired && info.headers && info.jetStream)
            #expect(info.connectURLs == ["10.0.0.1:4222"])
        }
    }

    @Test("MSG with and without a reply subject, empty payload, payload containing CRLF")
    func messages() {
        expectOperations("MSG a.b 7 5\r\nhello\r\nMSG a.c 8 _INBOX.x 0\r\n\r\nmsg x 9 4\r\nA\r\nB\r\n", [
            .message(NATSMessage(subject: "a.b", sid: 7, payload: Array("hello".utf8))),
            .message(NATSMessage(subject: "a.c", sid: 8, replyTo: "_INBOX.x", payload: [])),
            .message(NATSMessage(subject: "x", sid: 9, payload: Array("A\r\nB".utf8))),
        ])
    }

    @Test("HMSG: header fields, repeated names, and a 503 status line without payload")
    func headerMessages() {
        let block = "NATS/1.0\r\nNats-Msg-Id: m1\r\nX: 1\r\nX: 2\r\n\r\n"
        let status = "NATS/1.0 503\r\n\r\n"
        let text = "HMSG s 1 r \(block.utf8.count) \(block.utf8.count + 3)\r\n\(block)abc\r\n"
            + "HMSG _INBOX.a.1 2 \(status.utf8.count) \(status.utf8.count)\r\n\(status)\r\n"
        for result in parse(text) {
            guard case .success(let ops) = result, ops.count == 2,
                  case .message(let first) = ops[0], case .message(let second) = ops[1] else {
                Issue.record("bad parse \(result)")
                continue
            }
            #expect(first.headers?["Nats-Msg-Id"] == "m1")
            #expect(first.headers?.values("X") == ["1", "2"])
            #expect(first.headers?["nats-msg-id"] == nil)  // names are case-sensitive
            #expect(first.text == "abc" && first.replyTo == "r")
            #expect(second.headers?.status == 503 && second.headers?.isNoResponders == true)
            #expect(second.payload.isEmpty)
        }
    }

    @Test("a status line with a description keeps it")
    func statusDescription() throws {
        let headers = try NATSHeaders.parse(ArraySlice(Array("NATS/1.0 404 No Messages\r\n\r\n".utf8)))
        #expect(headers.status == 404)
        #expect(headers.statusDescription == "No Messages")
    }

    @Test("a control line longer than the limit fails before its end arrives")
    func controlLineTooLong() {
        expectFailure("MSG " + String(repeating: "a", count: 200), maximumControlLine: 64) {
            $0 == .controlLineTooLong(limit: 64)
        }
        var parser = NATSProtocolParser(maximumControlLine: 64)
        parser.append(Array(String(repeating: "x", count: 1000).utf8))
        #expect(throws: NATSProtocolError.controlLineTooLong(limit: 64)) { try parser.next() }
        #expect(throws: NATSProtocolError.controlLineTooLong(limit: 64)) { try parser.next() }  // stays failed
    }

    @Test("a payload larger than max_payload fails at the control line, before the bytes")
    func payloadTooLarge() {
        expectFailure("MSG a 1 2000\r\n", maximumPayload: 1024) { $0 == .payloadTooLarge(size: 2000, limit: 1024) }
    }

    @Test("garbage, unknown operations and malformed lines are protocol errors")
    func garbage() {
        expectFailure("HELLO world\r\n") { $0 == .unknownOperation("HELLO") }
        expectFailure("\u{1}\u{2}\r\n") { if case .unknownOperation = $0 { return true } else { return false } }
        expectFailure("MSG a b 5\r\nhello\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("MSG a 1 -5\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("MSG a 1 99999999999\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("MSG a 1\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("PING extra\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("PING\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("INFO {not json\r\n") { if case .malformedInfo = $0 { return true } else { return false } }
        expectFailure("MSG a 1 3\r\nabcXY") { $0 == .missingPayloadTerminator("a") }
        expectFailure("HMSG a 1 20 10\r\n") { if case .malformedControlLine = $0 { return true } else { return false } }
        expectFailure("HMSG a 1 12 12\r\nHTTP/1.0\r\n\r\n\r\n") { if case .malformedHeaders = $0 { return true } else { return false } }
        expectFailure("HMSG a 1 16 16\r\nNATS/1.0\r\nXY\r\n\r\n\r\n") { if case .malformedHeaders = $0 { return true } else { return false } }
    }

    @Test("a message cut in the middle waits for the rest and keeps only what arrived")
    func partialMessage() throws {
        var parser = NATSProtocolParser()
        parser.append(Array("MSG a 1 11\r\nhel".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("lo worl".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("d\r\nPING\r\n".utf8))
        #expect(try parser.next() == .message(NATSMessage(subject: "a", sid: 1, payload: Array("hello world".utf8))))
        #expect(try parser.next() == .ping)
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
    }
}
