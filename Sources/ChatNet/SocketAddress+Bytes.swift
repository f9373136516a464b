// SocketAddress+Bytes: an address built from, and read back as, its raw
// network-order bytes (4 for IPv4, 16 for IPv6) and a port, as a PROXY
// protocol header carries them, plus equality (family, bytes and port) so
// such addresses can be compared. It does not parse text (SocketAddress does)
// or match address ranges (NetworkPrefix does).
#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress: Equatable {
    /// An IPv4 address from its 4 bytes, or an IPv6 address from its 16, and a port;
    /// nil for any other byte count or a port outside 0...65535.
    public init?(addressBytes bytes: [UInt8], port: Int) {
        guard (0...65535).contains(port), bytes.count == 4 || bytes.count == 16 else { return nil }
        self.init()
        withUnsafeMutableBytes(of: &storage) { raw in
            if bytes.count == 4 {
                let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                v4.pointee.sin_family = sa_family_t(AF_INET)
                v4.pointee.sin_port = UInt16(port).bigEndian
                withUnsafeMutableBytes(of: &v4.pointee.sin_addr) { $0.copyBytes(from: bytes) }
            } else {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                v6.pointee.sin6_family = sa_family_t(AF_INET6)
                v6.pointee.sin6_port = UInt16(port).bigEndian
                withUnsafeMutableBytes(of: &v6.pointee.sin6_addr) { $0.copyBytes(from: bytes) }
            }
        }
        length = socklen_t(bytes.count == 4 ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
    }

    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public var addressBytes: [UInt8] {
        withUnsafeBytes(of: storage) { raw in
            if family == .ipv6 {
                let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
                return withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) }
            }
            let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
            return withUnsafeBytes(of: v4.pointee.sin_addr) { Array($0) }
        }
    }

    /// Same family, address bytes and port (an IPv6 scope id is not compared).
    public static func == (left: SocketAddress, right: SocketAddress) -> Bool {
        left.family == right.family && left.port == right.port && left.addressBytes == right.addressBytes
    }
}
