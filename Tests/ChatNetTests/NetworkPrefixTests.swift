// NetworkPrefixTests: the CIDR ranges of --proxy-trusted: IPv4 and IPv6
// ranges and single addresses match exactly what they cover (a neighbour one
// bit outside does not), families never cross (except IPv4-mapped IPv6
// peers), and malformed text, out-of-range lengths and host bits set past the
// prefix are refused with a message naming the problem.
@testable import ChatNet
import Testing

@Suite("NetworkPrefix (--proxy-trusted ranges)")
struct NetworkPrefixTests {
    func address(_ host: String) -> SocketAddress { try! SocketAddress.resolve(host: host, port: 1)[0] }

    @Test("ranges and single addresses cover exactly their addresses", arguments: [
        ("10.0.0.0/8", "10.255.1.2", true), ("10.0.0.0/8", "11.0.0.0", false),
        ("192.0.2.128/25", "192.0.2.128", true), ("192.0.2.128/25", "192.0.2.127", false),
        ("127.0.0.2", "127.0.0.2", true), ("127.0.0.2", "127.0.0.1", false),
        ("0.0.0.0/0", "203.0.113.9", true), ("0.0.0.0/0", "::1", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true), ("2001:db8::/32", "2001:db9::1", false),
        ("::1", "::1", true), ("::1", "127.0.0.1", false),
        ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("fe80::/10", "febf::1", true), ("fe80::/10", "fec0::1", false),
    ])
    func coverage(_ range: String, _ host: String, _ expected: Bool) throws {
        let prefix = try NetworkPrefix(parsing: range)
        #expect(prefix.contains(address(host)) == expected, "\(range) contains \(host)")
    }

    @Test("malformed ranges are refused naming the problem", arguments: [
        ("10.0.0.0/33", "prefix length after / must be 0...32"),
        ("::/129", "prefix length after / must be 0...128"),
        ("10.0.0.0/", "prefix length"),
        ("10.0.0.0/+8", "prefix length"),
        ("10.0.0.1/8", "write 10.0.0.0/8"),
        ("lb.example.com", "not an IPv4 or IPv6 address"),
        ("[::1]", "not an IPv4 or IPv6 address"),
        ("", "not an IPv4 or IPv6 address"),
    ])
    func refused(_ text: String, _ expected: String) {
        do {
            _ = try NetworkPrefix(parsing: text)
            Issue.record("'\(text)' was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test("descriptions are canonical")
    func descriptions() throws {
        #expect(try NetworkPrefix(parsing: "10.0.0.0/8").description == "10.0.0.0/8")
        #expect(try NetworkPrefix(parsing: "2001:DB8::").description == "2001:db8::/128")
    }
}
