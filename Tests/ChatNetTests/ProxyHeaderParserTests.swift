// ProxyHeaderParserTests: the PROXY protocol v2 header parser, fed one byte
// at a time (and whole): valid IPv4, IPv6 and LOCAL headers, TLVs skipped,
// the client's bytes after the header never taken, `bytesWanted` never asking
// past the header; and every malformed case refused with its own reason, as
// early as it can be known (a wrong first byte does not wait for 16 bytes).
@testable import ChatNet
import Testing

/// Builds v2 headers for the tests (the layout of the PROXY protocol specification, section 2.2).
enum ProxyHeaderBytes {
    static func header(command: UInt8 = 0x21, family: UInt8 = 0x11, body: [UInt8]) -> [UInt8] {
        ProxyHeaderParser.signature + [command, family, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }

    static func ipv4(_ source: [UInt8], _ sourcePort: Int, _ destination: [UInt8] = [10, 0, 0, 1], _ destinationPort: Int = 2222,
                     tlvs: [UInt8] = []) -> [UInt8] {
        header(body: source + destination + port(sourcePort) + port(destinationPort) + tlvs)
    }

    static func ipv6(_ source: [UInt8], _ sourcePort: Int, tlvs: [UInt8] = []) -> [UInt8] {
        let destination: [UInt8] = [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        return header(family: 0x21, body: source + destination + port(sourcePort) + port(2222) + tlvs)
    }

    static func tlv(_ type: UInt8, _ value: [UInt8]) -> [UInt8] { [type, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value }

    static func port(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}

@Suite("PROXY v2 header parser")
struct ProxyHeaderParserTests {
    typealias B = ProxyHeaderBytes

    /// Feeds `bytes` one at a time, checking that the parser never wants more than is left of
    /// `headerLength` (so a reader asking for `bytesWanted` never reads the client's bytes).
    func feedByteByByte(_ bytes: [UInt8], headerLength: Int? = nil) -> (ProxyHeaderParser, taken: Int) {
        var parser = ProxyHeaderParser()
        var taken = 0
        for byte in bytes {
            if let headerLength, parser.state == .reading { #expect(parser.bytesWanted <= headerLength - taken) }
            taken += parser.feed([byte])
        }
        return (parser, taken)
    }

    func header(_ parser: ProxyHeaderParser) -> ProxyHeader? {
        if case .done(let header) = parser.state { return header }
        return nil
    }

    func failure(_ parser: ProxyHeaderParser) -> ProxyHeaderError? {
        if case .failed(let error) = parser.state { return error }
        return nil
    }

    @Test("IPv4 PROXY header, byte by byte: source and destination, and the ClientHello after it is left alone")
    func ipv4ByteByByte() {
        let header = B.ipv4([203, 0, 113, 7], 51000)
        let clientHello: [UInt8] = [0x16, 0x03, 0x01, 0x00, 0x05]
        let (parser, taken) = feedByteByByte(header + clientHello, headerLength: header.count)
        #expect(taken == header.count)
        #expect(parser.bytesWanted == 0)
        let parsed = self.header(parser)
        #expect(parsed?.source?.description == "203.0.113.7:51000")
        if case .proxy(_, let destination)? = parsed?.command { #expect(destination.description == "10.0.0.1:2222") }
        #expect(parsed?.length == 28)
    }

    @Test("the whole header in one feed with the client's bytes after it: only the header is taken")
    func wholeHeaderThenClientBytes() {
        let header = B.ipv4([198, 51, 100, 9], 40000)
        var parser = ProxyHeaderParser()
        #expect(parser.bytesWanted == 16)
        let taken = parser.feed(header + Array("PING x\n".utf8))
        #expect(taken == header.count)
        #expect(self.header(parser)?.source?.host == "198.51.100.9")
    }

    @Test("IPv6 PROXY header, byte by byte")
    func ipv6ByteByByte() {
        let source: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x42]
        let header = B.ipv6(source, 443)
        let (parser, taken) = feedByteByByte(header, headerLength: header.count)
        #expect(taken == 52)
        #expect(self.header(parser)?.source?.description == "[2001:db8::42]:443")
    }

    @Test("LOCAL header (a health check): no address, the block is skipped whatever its family")
    func localHeader() {
        for family: UInt8 in [0x00, 0x11, 0x31] {
            let header = B.header(command: 0x20, family: family, body: [UInt8](repeating: 0xAB, count: 7))
            let (parser, taken) = feedByteByByte(header, headerLength: header.count)
            #expect(taken == header.count)
            #expect(self.header(parser)?.command == .local)
            #expect(self.header(parser)?.source == nil)
        }
        let (empty, _) = feedByteByByte(B.header(command: 0x20, family: 0x00, body: []))
        #expect(self.header(empty)?.command == .local)
    }

    @Test("TLVs after the addresses are skipped, and counted")
    func tlvsSkipped() {
        let tlvs = B.tlv(0x01, Array("h2".utf8)) + B.tlv(0x04, []) + B.tlv(0x05, [UInt8](repeating: 7, count: 300))
        let header = B.ipv4([192, 0, 2, 1], 1234, tlvs: tlvs)
        let (parser, taken) = feedByteByByte(header, headerLength: header.count)
        #expect(taken == header.count)
        #expect(self.header(parser)?.skippedTLVs == 3)
        #expect(self.header(parser)?.source?.description == "192.0.2.1:1234")
    }

    @Test("a header of exactly the largest accepted size is read; one byte more is refused from the length field alone")
    func sizeBound() {
        let padding = B.tlv(0x04, [UInt8](repeating: 0, count: ProxyHeaderParser.maximumBodyLength - 12 - 3))
        let largest = B.ipv4([192, 0, 2, 1], 1, tlvs: padding)
        #expect(largest.count == 16 + ProxyHeaderParser.maximumBodyLength)
        #expect(header(feedByteByByte(largest).0) != nil)
        let tooLong = B.ipv4([192, 0, 2, 1], 1, tlvs: padding + [0])
        let (parser, taken) = feedByteByByte(tooLong)
        #expect(failure(parser) == .tooLong(ProxyHeaderParser.maximumBodyLength + 1))
        #expect(taken == 16)
    }

    @Test("each malformed header is refused with its own reason, at the byte that shows it", arguments: [
        ("v1 text header", Array("PROXY TCP4 203.0.113.7 10.0.0.1 5000 2222\r\n".utf8), ProxyHeaderError.versionOneTextHeader, 6),
        ("TLS first", [0x16, 0x03, 0x01, 0x02, 0x00], .tlsInsteadOfHeader, 1),
        ("plaintext first", Array("JOIN #x\n".utf8), .wrongSignature, 1),
        ("'P' but not PROXY", Array("PING x\n".utf8), .wrongSignature, 2),
        ("signature wrong in its last byte", Array(ProxyHeaderParser.signature.dropLast()) + [0x0B, 0x21], .wrongSignature, 12),
        ("version 1 in the binary form", ProxyHeaderParser.signature + [0x11, 0x11, 0, 12], .unsupportedVersion(1), 13),
        ("command 2", ProxyHeaderParser.signature + [0x22, 0x11, 0, 12], .unknownCommand(2), 13),
        ("PROXY over UNIX", ProxyHeaderParser.signature + [0x21, 0x31, 0, 216], .unsupportedFamily(3), 14),
        ("PROXY with UNSPEC family", ProxyHeaderParser.signature + [0x21, 0x01, 0, 0], .unsupportedFamily(0), 14),
        ("PROXY over UDP", ProxyHeaderParser.signature + [0x21, 0x12, 0, 12], .unsupportedTransport(2), 14),
        ("IPv4 length too short", ProxyHeaderParser.signature + [0x21, 0x11, 0, 11] + [UInt8](repeating: 0, count: 11),
         .addressesTruncated(length: 11, needed: 12), 16),
        ("IPv6 length too short", ProxyHeaderParser.signature + [0x21, 0x21, 0, 12] + [UInt8](repeating: 0, count: 12),
         .addressesTruncated(length: 12, needed: 36), 16),
        ("length over the bound", ProxyHeaderParser.signature + [0x21, 0x11, 0xFF, 0xFF], .tooLong(65535), 16),
        ("TLV cut in its type/length", B.ipv4([192, 0, 2, 1], 1, tlvs: [0x01, 0x00]), .malformedTLV(offset: 28), 30),
        ("TLV value past the end", B.ipv4([192, 0, 2, 1], 1, tlvs: [0x01, 0x00, 0x09, 0x41]), .malformedTLV(offset: 28), 32),
    ] as [(String, [UInt8], ProxyHeaderError, Int)])
    func malformed(_ name: String, _ bytes: [UInt8], _ expected: ProxyHeaderError, _ failsAfter: Int) {
        let (parser, taken) = feedByteByByte(bytes + [0x00, 0x00])
        #expect(failure(parser) == expected, "\(name)")
        #expect(taken == failsAfter, "\(name): refused after \(taken) bytes")
        #expect(parser.bytesWanted == 0)
        var whole = ProxyHeaderParser()
        whole.feed(bytes)
        #expect(failure(whole) == expected, "\(name), fed at once")
    }

    @Test("every refusal explains itself in words")
    func reasonsAreReadable() {
        #expect(ProxyHeaderError.versionOneTextHeader.description.contains("only version 2"))
        #expect(ProxyHeaderError.unsupportedFamily(3).description.contains("UNIX"))
        #expect(ProxyHeaderError.tooLong(600).description.contains("at most 536"))
        #expect(ProxyHeaderError.tlsInsteadOfHeader.description.contains("TLS record"))
    }
}
