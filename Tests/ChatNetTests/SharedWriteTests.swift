// SharedWriteTests: broadcasts written with `write(_:sharedAs:)`. The arena
// stores a message once for all its recipients; over plain TCP and TLS, each
// recipient receives exactly its own sequence when shared and private writes
// interleave, when its sender is skipped (a gap in the arena), when its socket
// buffers are tiny so a shared write would block (the bytes must outlive the
// arena), and the output limit counts shared bytes too.
@testable import ChatNet
import Testing

@Suite("Shared writes", .serialized)
struct SharedWriteTests {
    @Test("the arena stores a message once per flush and forgets it at reset")
    func arenaPlacement() {
        let arena = BroadcastArena()
        let first = SharedKey(), second = SharedKey()
        let a = Array("first\n".utf8).withUnsafeBytes { arena.place($0, key: first) }
        let again = Array("first\n".utf8).withUnsafeBytes { arena.place($0, key: first) }
        let b = Array("second\n".utf8).withUnsafeBytes { arena.place($0, key: second) }
        #expect(a == 0..<6 && again == a && b == 6..<13)
        #expect(String(decoding: arena.bytes(0..<13, placedIn: arena.epoch), as: UTF8.self) == "first\nsecond\n")
        arena.reset()
        let c = Array("third\n".utf8).withUnsafeBytes { arena.place($0, key: first) }
        #expect(c == 0..<6)
    }

    @Test("recipients get their own order when broadcasts, gaps and private replies interleave",
          arguments: ContractCase.all)
    func interleaved(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        var pairs: [(server: StreamConnection, client: RecordingDelegate)] = []
        for _ in 0..<4 {
            let (_, clientSide, server, _) = try harness.openPair()
            pairs.append((server, clientSide))
        }
        var expected = Array(repeating: [UInt8](), count: pairs.count)
        for round in 0..<50 {
            let sender = round % pairs.count
            let message = SharedKey()
            let line = Array("MSG #room user\(sender) round \(round)\n".utf8)
            for (index, pair) in pairs.enumerated() where index != sender {
                line.withUnsafeBytes { pair.server.write($0, sharedAs: message) }
                expected[index] += line
            }
            let reply = Array("OK SAY #room sent \(round)\n".utf8)
            pairs[sender].server.write(reply)
            expected[sender] += reply
            if round % 7 == 0 { try harness.loop.runOnce(maximumWait: 0) }  // flushes mid-way too
        }
        #expect(try harness.run { zip(pairs, expected).allSatisfy { $0.client.received.count == $1.count } })
        for (pair, bytes) in zip(pairs, expected) { #expect(pair.client.received == bytes) }
    }

    @Test("a shared write that would block keeps its bytes after the arena is emptied", arguments: ContractCase.all)
    func blockedSharedWrite(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector,
                                            socketOptions: SocketOptions(sendBufferSize: 4096, receiveBufferSize: 4096))
        defer { harness.tearDown() }
        let (_, clientSide, server, _) = try harness.openPair()
        var expected: [UInt8] = []
        func broadcast(_ index: Int) {
            let line = [UInt8]("broadcast \(index) ".utf8) + [UInt8](repeating: 0x61 + UInt8(index % 26), count: 900) + [0x0A]
            line.withUnsafeBytes { server.write($0, sharedAs: SharedKey()) }
            expected += line
        }
        for index in 0..<400 { broadcast(index) }  // one run of 364 KB: far more than the socket buffers hold
        try harness.loop.runOnce(maximumWait: 0)
        #expect(server.bufferedOutputByteCount > 0, "the flush should have blocked")
        for index in 400..<450 {  // new broadcasts reuse the emptied arena while the old ones wait
            broadcast(index)
            try harness.loop.runOnce(maximumWait: 0)
        }
        #expect(try harness.run { clientSide.received.count == expected.count })
        #expect(clientSide.received == expected)
    }

    @Test("shared bytes count toward the output limit", arguments: ContractCase.all)
    func sharedOutputLimit(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (_, _, server, serverSide) = try harness.openPair()
        server.maximumBufferedOutput = 64 * 1024
        [UInt8](repeating: 65, count: 60 * 1024).withUnsafeBytes { server.write($0, sharedAs: SharedKey()) }
        #expect(server.state == .open && server.bufferedOutputByteCount == 60 * 1024)
        [UInt8](repeating: 66, count: 8 * 1024).withUnsafeBytes { server.write($0, sharedAs: SharedKey()) }
        #expect(server.state == .closed)
        #expect(try harness.run { serverSide.closeReason != nil })
        #expect(serverSide.closeReason == .outputLimitExceeded(64 * 1024))
    }
}

/// Stands in for one broadcast message (the arena recognises a message by identity).
final class SharedKey {}
