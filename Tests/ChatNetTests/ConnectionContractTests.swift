// ConnectionContractTests: one suite that every Connection implementation
// must pass, run over plain TCP and TLS (and both selector backends): short
// reads and writes, bulk data through tiny socket buffers, coalesced small
// writes, orderly close versus abrupt EOF, peer reset, many connections.
@testable import ChatNet
import Testing

struct ContractCase: CustomStringConvertible, Sendable {
    let transport: TransportUnderTest
    let selector: SelectorKind
    var description: String { "\(transport) over \(selector)" }
    static let all: [ContractCase] = [
        ContractCase(transport: .plain, selector: .epoll), ContractCase(transport: .tls, selector: .epoll),
        ContractCase(transport: .plain, selector: .poll), ContractCase(transport: .tls, selector: .poll),
    ]
}

/// Deterministic bulk payload: byte i of a stream is a function of i.
func patternByte(_ index: Int, seed: Int) -> UInt8 { UInt8(truncatingIfNeeded: (index &* 31) ^ (index >> 9) ^ seed) }

@Suite("Connection contract", .serialized)
struct ConnectionContractTests {
    @Test("bytes written one at a time arrive intact and in order", arguments: ContractCase.all)
    func shortWrites(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (client, _, _, serverSide) = try harness.openPair()
        let message = Array("one byte per loop iteration, then a newline\n".utf8)
        for byte in message {
            client.write([byte])
            try harness.loop.runOnce(maximumWait: 0)
        }
        #expect(try harness.run { serverSide.received.count == message.count })
        #expect(serverSide.received == message)
    }

    @Test("many small writes in one iteration leave coalesced and arrive in order", arguments: ContractCase.all)
    func coalescedSmallWrites(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (client, clientSide, server, _) = try harness.openPair()
        var expected: [UInt8] = []
        for index in 0..<2000 {
            let line = Array("line \(index)\n".utf8)
            expected += line
            server.write(line)
        }
        #expect(server.bufferedOutputByteCount == expected.count)  // nothing leaves before the flush phase
        #expect(try harness.run { clientSide.received.count == expected.count })
        #expect(clientSide.received == expected)
        #expect(client.state == .open)
    }

    @Test("8 MiB each way through 4 KiB socket buffers arrives intact", arguments: ContractCase.all)
    func bulkBothWays(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector,
                                            socketOptions: SocketOptions(sendBufferSize: 4096, receiveBufferSize: 4096))
        defer { harness.tearDown() }
        let (client, clientSide, server, serverSide) = try harness.openPair()
        let total = 8 * 1024 * 1024
        var mismatches = 0
        for (side, seed) in [(clientSide, 1), (serverSide, 2)] {
            side.keepBytes = false
            var position = 0
            side.onReceive = { bytes in
                for (offset, byte) in bytes.enumerated() where byte != patternByte(position + offset, seed: seed) {
                    mismatches += 1
                    break
                }
                position += bytes.count
            }
        }
        // Odd chunk sizes so records and writes never line up with the buffers.
        for (connection, seed) in [(server, 1), (client, 2)] {
            var offset = 0
            var size = 1
            while offset < total {
                let length = min(size, total - offset)
                connection.write((offset..<offset + length).map { patternByte($0, seed: seed) })
                offset += length
                size = size * 7 % 65_521 + 1
            }
        }
        #expect(try harness.run(for: .seconds(60)) {
            clientSide.receivedCount == total && serverSide.receivedCount == total
        })
        #expect(mismatches == 0)
        #expect(client.bufferedOutputByteCount == 0 && server.bufferedOutputByteCount == 0)
    }

    @Test("graceful close delivers everything queued before it, then the peer sees an orderly end", arguments: ContractCase.all)
    func gracefulCloseFlushesFirst(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (_, clientSide, server, serverSide) = try harness.openPair()
        let payload = (0..<(1024 * 1024)).map { patternByte($0, seed: 3) }
        server.write(payload)
        server.close(.graceful)
        #expect(try harness.run { clientSide.closeReason != nil && serverSide.closeReason != nil })
        #expect(clientSide.received == payload)
        #expect(clientSide.closeReason == .peerClosed)
        #expect(serverSide.closeReason == .localClose)
    }

    @Test("an abrupt close is reported as such (TLS: EOF without close_notify)", arguments: ContractCase.all)
    func abruptClose(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (client, clientSide, server, serverSide) = try harness.openPair()
        // Drain what the server sent (TLS 1.3 session tickets too): closing a socket
        // with unread input makes the kernel send a reset instead of a FIN.
        server.write("ready\n")
        #expect(try harness.run { clientSide.text == "ready\n" })
        client.write("queued but dropped\n")
        client.close(.immediate)
        #expect(try harness.run { serverSide.closeReason != nil && clientSide.closeReason != nil })
        #expect(clientSide.closeReason == .localClose)
        #expect(serverSide.closeReason == (testCase.transport == .tls ? .eofWithoutCloseNotify : .peerClosed))
        #expect(serverSide.received.isEmpty)
    }

    @Test("a peer reset is reported as reset", arguments: ContractCase.all)
    func peerReset(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (client, _, _, serverSide) = try harness.openPair()
        client.abortWithReset()
        #expect(try harness.run { serverSide.closeReason != nil })
        #expect(serverSide.closeReason == .reset)
    }

    @Test("queuing past the output limit closes the connection instead of growing memory", arguments: ContractCase.all)
    func outputLimit(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        let (_, clientSide, server, serverSide) = try harness.openPair()
        server.maximumBufferedOutput = 64 * 1024
        server.write([UInt8](repeating: 65, count: 60 * 1024))
        #expect(server.state == .open)
        server.write([UInt8](repeating: 66, count: 8 * 1024))
        #expect(server.state == .closed)
        #expect(server.bufferedOutputByteCount == 0)
        #expect(try harness.run { serverSide.closeReason != nil && clientSide.closeReason != nil })
        #expect(serverSide.closeReason == .outputLimitExceeded(64 * 1024))
    }

    @Test("a peer that half-closes after its request still receives the reply (plain)")
    func halfCloseStillGetsReply() throws {
        let harness = try ConnectionHarness(.plain)
        defer { harness.tearDown() }
        let (raw, _) = try Socket.connecting(to: try SocketAddress.resolve(host: "127.0.0.1", port: harness.port)[0])
        defer { raw.close() }
        #expect(try harness.run { harness.serverDelegates.first?.opened == true })
        let server = harness.accepted[0], serverSide = harness.serverDelegates[0]
        serverSide.onReceive = { _ in server.write("reply\n") }
        _ = Array("request\n".utf8).withUnsafeBytes { try? raw.write($0) }
        raw.shutdownWrite()
        var reply: [UInt8] = []
        var sawEOF = false
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try harness.run {
            while case .done(let count)? = try? raw.read(into: buffer) {
                if count == 0 { sawEOF = true; break }
                reply += buffer[0..<count]
            }
            return sawEOF
        })
        #expect(String(decoding: reply, as: UTF8.self) == "reply\n")
        #expect(serverSide.closeReason == .peerClosed)
    }

    @Test("200 connections on one loop each get their own bytes back", arguments: ContractCase.all)
    func manyConnections(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        var clients: [(StreamConnection, RecordingDelegate)] = []
        for _ in 0..<200 { clients.append(try harness.connectClient()) }
        #expect(try harness.run(for: .seconds(60)) {
            clients.allSatisfy { $0.1.opened } && harness.serverDelegates.count == 200
                && harness.serverDelegates.allSatisfy { $0.opened }
        })
        for (index, (client, _)) in clients.enumerated() { client.write("hello \(index)\n") }
        #expect(try harness.run { harness.serverDelegates.allSatisfy { $0.text.hasSuffix("\n") } })
        for (server, delegate) in zip(harness.accepted, harness.serverDelegates) { server.write("echo " + delegate.text) }
        #expect(try harness.run { clients.allSatisfy { $0.1.text.hasSuffix("\n") } })
        for (index, (_, delegate)) in clients.enumerated() { #expect(delegate.text == "echo hello \(index)\n") }
    }
}
