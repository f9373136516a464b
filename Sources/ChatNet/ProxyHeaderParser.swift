// ProxyHeaderParser: the PROXY protocol version 2 header a TCP load balancer
// sends before the client's first byte, parsed incrementally (any split of
// the input, down to one byte at a time) and strictly: the 12-byte signature,
// version 2, the LOCAL or PROXY command, TCP over IPv4 or IPv6 for PROXY, the
// announced length (bounded by `maximumBodyLength`), the addresses, and the
// TLVs after them, which are checked for shape and skipped. A version 1 text
// header ("PROXY TCP4 ...") and a connection that starts with a TLS record
// are named as such. It never consumes a byte past the header: `bytesWanted`
// says how many more it needs, so a reader that asks for no more than that
// leaves the client's first bytes (a TLS ClientHello) in the socket. Pure:
// no I/O, no clock; ProxyHeaderReader feeds it from a socket.

/// What a valid header says.
public struct ProxyHeader: Equatable, Sendable {
    public enum Command: Equatable, Sendable {
        /// The load balancer's own connection (a health check): use the real peer address.
        case local
        /// A relayed TCP connection from `source` to `destination`.
        case proxy(source: SocketAddress, destination: SocketAddress)
    }
    public let command: Command
    /// TLVs skipped after the addresses.
    public let skippedTLVs: Int
    /// The whole header's size in bytes (16 plus the announced length).
    public let length: Int

    /// The client's address as the load balancer saw it, or nil for LOCAL.
    public var source: SocketAddress? {
        if case .proxy(let source, _) = command { return source }
        return nil
    }
}

/// Why a header was refused; each names what was wrong.
public enum ProxyHeaderError: Error, Equatable, Sendable, CustomStringConvertible {
    case versionOneTextHeader
    case tlsInsteadOfHeader
    case wrongSignature
    case unsupportedVersion(Int)
    case unknownCommand(Int)
    case unsupportedFamily(Int)
    case unsupportedTransport(Int)
    case tooLong(Int)
    case addressesTruncated(length: Int, needed: Int)
    case malformedTLV(offset: Int)

    public var description: String {
        switch self {
        case .versionOneTextHeader:
            return "a PROXY protocol version 1 (text) header: only version 2 (binary) is accepted (HAProxy: send-proxy-v2)"
        case .tlsInsteadOfHeader:
            return "no PROXY header: the connection began with a TLS record (does the load balancer send PROXY v2?)"
        case .wrongSignature:
            return "no PROXY v2 signature in the first 12 bytes"
        case .unsupportedVersion(let version):
            return "PROXY header version \(version): only version 2 is supported"
        case .unknownCommand(let command):
            return "PROXY v2 command \(command): only LOCAL (0) and PROXY (1) exist"
        case .unsupportedFamily(let family):
            let name = [0: "UNSPEC", 3: "UNIX"][family] ?? "unknown (\(family))"
            return "PROXY v2 address family \(name): only TCP over IPv4 or IPv6 can be relayed"
        case .unsupportedTransport(let transport):
            let name = [0: "UNSPEC", 2: "DGRAM (UDP)"][transport] ?? "unknown (\(transport))"
            return "PROXY v2 transport \(name): only STREAM (TCP) can be relayed"
        case .tooLong(let length):
            return "PROXY v2 header announces \(length) bytes of addresses and TLVs: at most \(ProxyHeaderParser.maximumBodyLength) are accepted"
        case .addressesTruncated(let length, let needed):
            return "PROXY v2 header length \(length) is shorter than its addresses (\(needed) bytes)"
        case .malformedTLV(let offset):
            return "PROXY v2 TLV at byte \(offset) of the header runs past the header's end"
        }
    }
}

public struct ProxyHeaderParser: Sendable {
    public static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Signature, version and command, family and transport, length.
    public static let fixedLength = 16
    /// Most bytes accepted after the fixed part: the largest address block (UNIX, 216)
    /// plus 320 of TLVs. Longer headers are refused, not read.
    public static let maximumBodyLength = 536
    static let versionOnePrefix = Array("PROXY ".utf8)

    public enum State: Equatable, Sendable {
        case reading
        case done(ProxyHeader)
        case failed(ProxyHeaderError)
    }

    public private(set) var state: State = .reading
    private var header: [UInt8] = []

    public init() {}

    /// Bytes to read before the parser can move on (0 once done or failed). Never more
    /// than what is left of the header, so nothing after it is read.
    public var bytesWanted: Int {
        guard state == .reading else { return 0 }
        if header.first == Self.versionOnePrefix[0] { return Self.versionOnePrefix.count - header.count }
        if header.count < Self.fixedLength { return Self.fixedLength - header.count }
        return Self.fixedLength + bodyLength - header.count
    }

    /// Feeds input; returns how many bytes of it were taken (the rest belongs to the client
    /// and is left alone). Once the state is `.done` or `.failed`, takes nothing.
    @discardableResult
    public mutating func feed(_ input: some Collection<UInt8>) -> Int {
        var taken = 0
        for byte in input {
            guard state == .reading else { break }
            header.append(byte)
            taken += 1
            advance()
        }
        return taken
    }

    private var bodyLength: Int { Int(header[14]) << 8 | Int(header[15]) }

    private mutating func advance() {
        let count = header.count
        if count <= Self.signature.count {
            return checkSignature(byte: header[count - 1], at: count - 1)
        }
        switch count {
        case 13:
            let version = Int(header[12] >> 4), command = Int(header[12] & 0x0F)
            if version != 2 { return state = .failed(.unsupportedVersion(version)) }
            if command > 1 { return state = .failed(.unknownCommand(command)) }
        case 14 where isProxyCommand:
            let family = Int(header[13] >> 4), transport = Int(header[13] & 0x0F)
            if family != 1 && family != 2 { return state = .failed(.unsupportedFamily(family)) }
            if transport != 1 { return state = .failed(.unsupportedTransport(transport)) }
        case Self.fixedLength:
            if bodyLength > Self.maximumBodyLength { return state = .failed(.tooLong(bodyLength)) }
            if isProxyCommand && bodyLength < addressBlockLength {
                return state = .failed(.addressesTruncated(length: bodyLength, needed: addressBlockLength))
            }
        default:
            break
        }
        if count >= Self.fixedLength && count == Self.fixedLength + bodyLength { finish() }
    }

    private mutating func checkSignature(byte: UInt8, at index: Int) {
        if header[0] == Self.versionOnePrefix[0] {  // maybe "PROXY ": name it once it is certain
            if byte != Self.versionOnePrefix[index] { return state = .failed(.wrongSignature) }
            if index == Self.versionOnePrefix.count - 1 { state = .failed(.versionOneTextHeader) }
            return
        }
        if index == 0 && byte == 0x16 { return state = .failed(.tlsInsteadOfHeader) }
        if byte != Self.signature[index] { state = .failed(.wrongSignature) }
    }

    private var isProxyCommand: Bool { header[12] & 0x0F == 1 }

    /// 12 bytes for IPv4 (two addresses, two ports), 36 for IPv6.
    private var addressBlockLength: Int { header[13] >> 4 == 1 ? 12 : 36 }

    private mutating func finish() {
        var offset = Self.fixedLength
        var command = ProxyHeader.Command.local
        if isProxyCommand {
            let size = addressBlockLength == 12 ? 4 : 16
            let source = Array(header[offset..<offset + size])
            let destination = Array(header[offset + size..<offset + 2 * size])
            let ports = offset + 2 * size
            let sourcePort = Int(header[ports]) << 8 | Int(header[ports + 1])
            let destinationPort = Int(header[ports + 2]) << 8 | Int(header[ports + 3])
            command = .proxy(source: SocketAddress(addressBytes: source, port: sourcePort)!,
                             destination: SocketAddress(addressBytes: destination, port: destinationPort)!)
            offset += addressBlockLength
        } else {
            offset = header.count  // LOCAL: the block is ignored whatever it holds
        }
        var tlvs = 0
        while offset < header.count {  // type (1 byte), length (2), value
            guard offset + 3 <= header.count else { return state = .failed(.malformedTLV(offset: offset)) }
            let valueLength = Int(header[offset + 1]) << 8 | Int(header[offset + 2])
            guard offset + 3 + valueLength <= header.count else { return state = .failed(.malformedTLV(offset: offset)) }
            offset += 3 + valueLength
            tlvs += 1
        }
        state = .done(ProxyHeader(command: command, skippedTLVs: tlvs, length: header.count))
    }
}
