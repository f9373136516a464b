// SocketAddress: an IPv4 or IPv6 address and port, as the kernel wants it.
//
// Parses "HOST:PORT" / "[V6]:PORT" strings, resolves host names with
// getaddrinfo (blocking: call it before the loop runs, never from a callback),
// and prints addresses back as text. It does not open sockets; see `Socket`.
#if canImport(Glibc)
import Glibc
#endif
internal import CLinuxShim

public struct SocketAddress: CustomStringConvertible, Sendable {
    var storage = sockaddr_storage()
    var length: socklen_t = 0

    init() {}

    /// Wraps a kernel-filled `sockaddr_storage`.
    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    public enum Family: Sendable { case ipv4, ipv6 }

    public var family: Family { storage.ss_family == sa_family_t(AF_INET6) ? .ipv6 : .ipv4 }

    /// The numeric host, e.g. "127.0.0.1" or "::1".
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        withUnsafeBytes(of: storage) { raw in
            if family == .ipv6 {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                withUnsafePointer(to: v6.pointee.sin6_addr) { _ = inet_ntop(AF_INET6, $0, &text, socklen_t(text.count)) }
            } else {
                let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                withUnsafePointer(to: v4.pointee.sin_addr) { _ = inet_ntop(AF_INET, $0, &text, socklen_t(text.count)) }
            }
        }
        return String(decoding: text.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var port: Int {
        withUnsafeBytes(of: storage) { raw in
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            return Int(UInt16(bigEndian: v4.pointee.sin_port))
        }
    }

    /// "127.0.0.1:2222" or "[::1]:2222".
    public var description: String {
        family == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public enum ParseError: Error, CustomStringConvertible {
        case malformed(String)
        case unresolved(host: String, reason: String)
        public var description: String {
            switch self {
            case .malformed(let text):
                return "malformed address '\(text)': expected HOST:PORT, e.g. 127.0.0.1:2222 or [::1]:2222"
            case .unresolved(let host, let reason):
                return "cannot resolve '\(host)': \(reason)"
            }
        }
    }

    /// Parses "HOST:PORT" where HOST is an IPv4 literal, "[IPv6 literal]" or a name.
    /// Names are resolved; every address the name has is returned.
    public static func resolve(_ text: String) throws(ParseError) -> [SocketAddress] {
        let (host, port) = try split(text)
        return try resolve(host: host, port: port)
    }

    /// Splits "HOST:PORT" into its parts, validating the port (0...65535).
    public static func split(_ text: String) throws(ParseError) -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else { throw .malformed(text) }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else { throw .malformed(text) }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            throw .malformed(text)  // a bare IPv6 literal needs brackets
        }
        guard !host.isEmpty else { throw .malformed(text) }
        return (host, port)
    }

    /// Resolves a host name or numeric literal to stream-socket addresses.
    public static func resolve(host: String, port: Int) throws(ParseError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .unresolved(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(first) }
        var result: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            if let address = entry.pointee.ai_addr,
               entry.pointee.ai_family == AF_INET || entry.pointee.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { raw in
                    raw.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(entry.pointee.ai_addrlen)))
                }
                result.append(SocketAddress(storage: storage, length: entry.pointee.ai_addrlen))
            }
            cursor = entry.pointee.ai_next
        }
        guard !result.isEmpty else { throw .unresolved(host: host, reason: "no IPv4 or IPv6 address") }
        return result
    }

    /// True when `text` is a numeric IPv4 or IPv6 literal (so TLS checks it as an IP, not a DNS name).
    public static func isIPLiteral(_ text: String) -> Bool {
        var buffer = in6_addr()
        return inet_pton(AF_INET, text, &buffer) == 1 || inet_pton(AF_INET6, text, &buffer) == 1
    }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        if family == .ipv6 { return host == "::1" }
        return host.hasPrefix("127.")
    }

    func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws(Errno) -> R) throws(Errno) -> R {
        var copy = storage
        let len = length
        return try withUnsafePointer(to: &copy) { (pointer) throws(Errno) -> R in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(Errno) -> R in
                try body(address, len)
            }
        }
    }
}
