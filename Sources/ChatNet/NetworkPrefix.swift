// NetworkPrefix: an IPv4 or IPv6 address range in CIDR notation
// ("10.0.0.0/8", "2001:db8::/32", or a single address such as "127.0.0.1" or
// "::1"), parsed strictly, and whether a peer's address falls inside it. It is
// how tlschatd names the load balancers trusted to send a PROXY header
// (--proxy-trusted). An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) matches IPv4
// ranges. It does not resolve host names and does not look at ports.
#if canImport(Glibc)
import Glibc
#endif

public struct NetworkPrefix: Sendable, Equatable, CustomStringConvertible {
    public let family: SocketAddress.Family
    /// The network's address bytes (4 or 16, host bits zero).
    public let networkBytes: [UInt8]
    /// Leading bits that must match: 0...32 (IPv4) or 0...128 (IPv6).
    public let prefixLength: Int

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// Parses "ADDRESS" or "ADDRESS/BITS" (IPv6 without brackets). Host bits past the prefix
    /// must be zero ("10.0.0.1/8" is refused: it is usually a typo for a single address).
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let addressText = parts[0]
        var buffer = in6_addr()
        let bytes: [UInt8]
        if inet_pton(AF_INET, addressText, &buffer) == 1 {
            family = .ipv4
            bytes = withUnsafeBytes(of: buffer) { Array($0.prefix(4)) }
        } else if inet_pton(AF_INET6, addressText, &buffer) == 1 {
            family = .ipv6
            bytes = withUnsafeBytes(of: buffer) { Array($0.prefix(16)) }
        } else {
            throw ParseError(description: "'\(text)' is not an IPv4 or IPv6 address or CIDR range (e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32, ::1)")
        }
        let maximum = bytes.count * 8
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw ParseError(description: "'\(text)': the prefix length after / must be 0...\(maximum)")
            }
            prefixLength = bits
        } else {
            prefixLength = maximum
        }
        guard Self.masked(bytes, to: prefixLength) == bytes else {
            let network = Self.masked(bytes, to: prefixLength)
            let shown = SocketAddress(addressBytes: network, port: 0)?.host ?? "?"
            throw ParseError(description: "'\(text)' has address bits set past /\(prefixLength): write \(shown)/\(prefixLength) for the range, or the address alone for one host")
        }
        networkBytes = bytes
    }

    /// "10.0.0.0/8", "::1/128".
    public var description: String {
        "\(SocketAddress(addressBytes: networkBytes, port: 0)?.host ?? "?")/\(prefixLength)"
    }

    /// Whether `address` is inside this range (an IPv4-mapped IPv6 address counts as IPv4).
    public func contains(_ address: SocketAddress) -> Bool {
        var bytes = address.addressBytes
        if family == .ipv4, bytes.count == 16, bytes.prefix(12) == Self.ipv4MappedPrefix[...] {
            bytes = Array(bytes.suffix(4))
        }
        guard bytes.count == networkBytes.count else { return false }
        return Self.masked(bytes, to: prefixLength) == networkBytes
    }

    private static let ipv4MappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    /// `bytes` with every bit after the first `bits` cleared.
    private static func masked(_ bytes: [UInt8], to bits: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(8, max(0, bits - index * 8))
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        }
    }
}
