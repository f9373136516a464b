// SocketTests: an accepted socket knows its peer from accept(2) itself, over
// IPv4 and IPv6 loopback: the address matches the connecting side's own, and
// asking for it makes no getpeername call (it still answers after the peer
// reset the connection, when getpeername would fail with ENOTCONN).
@testable import ChatNet
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("Socket")
struct SocketTests {
    @Test("accept records the peer's address", arguments: ["127.0.0.1", "::1"])
    func acceptedPeer(host: String) throws {
        let listener = try Socket.listening(on: try SocketAddress.resolve(host: host, port: 0)[0])
        defer { listener.close() }
        let port = try listener.localAddress().port
        let (client, _) = try Socket.connecting(to: try SocketAddress.resolve(host: host, port: port)[0])
        defer { client.close() }
        var accepted: Socket?
        for _ in 0..<200 where accepted == nil {  // the connection lands in the backlog asynchronously
            if case .done(let socket) = try listener.accept() { accepted = socket } else { usleep(5_000) }
        }
        let server = try #require(accepted)
        defer { server.close() }
        let expected = try client.localAddress()
        client.setResetOnClose()
        client.close()
        var byte: [UInt8] = [0]
        for _ in 0..<200 {  // until the reset has arrived
            if case .wouldBlock = (try? byte.withUnsafeMutableBytes { try server.read(into: $0) }) ?? .done(0) {
                usleep(5_000)
            } else { break }
        }
        #expect(try server.peerAddress().description == expected.description)
        #expect(try server.peerAddress().host == host)
    }
}
