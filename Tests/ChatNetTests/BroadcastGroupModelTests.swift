// BroadcastGroupModelTests: broadcast groups against a model of the one-by-one
// fan-out (`write(_:sharedAs:)` per recipient, the code before groups): seeded
// random mixes of gathers, followers of several groups, skipped senders,
// private and shared writes, stops, restarts, graceful closes, held-back and
// blocked flushes, over plain TCP and TLS on both selectors; then the edge
// cases an independent review found (a limit lowered by a reload during a
// gather, one message given to two groups a connection follows).
@testable import ChatNet
import Testing

@Suite("Broadcast groups against a model", .serialized)
struct BroadcastGroupModelTests {
    /// A seeded random mix of gathers over three groups, followers in several of
    /// them, skipped senders, private writes, shared writes (some under the key
    /// of the message just appended, as a direct recipient of the same room
    /// message gets it), stops, restarts, graceful closes and flushes (some held
    /// back one round by ready input, so a gather spans two iterations),
    /// compared with a model of the one-by-one fan-out: every connection must
    /// receive exactly what was queued for it, in order, and every count must match.
    /// `mode` 0: distinct keys; 1: shared writes reuse the last appended key;
    /// 2: an append reuses the last key in any group; 3: in the same group.
    @Test("random mixes of groups, writes, stops, closes and flushes keep every connection's order",
          arguments: [(1, 0), (2, 0), (3, 0), (4, 0), (1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (1, 3), (2, 3)])
    func randomMix(seed: Int, mode: Int) throws {
        try Self.randomMix(seed: seed, mode: mode)
    }

    /// The same over TLS and plain TCP with 4 KiB socket buffers (writes block, so
    /// followers are flushed with `writeNeeds` set and keep copies), on both selectors.
    @Test("random mixes with blocked writes, over TLS and poll", arguments: ContractCase.all)
    func randomMixBlocked(_ testCase: ContractCase) throws {
        try Self.randomMix(seed: 7, mode: 1, testCase.transport, testCase.selector,
                           SocketOptions(sendBufferSize: 4096, receiveBufferSize: 4096), padding: 700)
    }

    static func randomMix(seed: Int, mode: Int, _ transport: TransportUnderTest = .plain, _ selector: SelectorKind = .epoll,
                          _ options: SocketOptions? = nil, padding: Int = 0) throws {
        let harness = try options.map { try ConnectionHarness(transport, selector: selector, socketOptions: $0) }
            ?? ConnectionHarness(transport, selector: selector)
        let pad = String(repeating: "p", count: padding)
        defer { harness.tearDown() }
        var servers: [StreamConnection] = [], clients: [RecordingDelegate] = [], peers: [StreamConnection] = []
        for _ in 0..<5 {
            let (client, clientSide, server, _) = try harness.openPair()
            servers.append(server)
            clients.append(clientSide)
            peers.append(client)
        }
        let groups = (0..<3).map { _ in BroadcastGroup(loop: harness.loop) }
        var following = Array(repeating: Set<Int>(), count: groups.count)  // the model's followers
        var open = Set(servers.indices)
        var expected = Array(repeating: [UInt8](), count: servers.count)
        var random = SplitMix64(seed: UInt64(seed))
        var lastKey: SharedKey? = nil
        var lastLine: [UInt8] = []
        var lastGroup = -1
        var blocked = 0  // iterations after which some connection's write waited for readiness
        var heldBack = 0  // iterations whose flush waited for ready input (the gathers went on)
        for step in 0..<3000 {
            for index in groups.indices where !groups[index].isGathering { following[index] = [] }
            let g = random.below(groups.count)
            switch random.below(11) {
            case 0...3:  // a room message
                if !groups[g].isGathering {
                    #expect(groups[g].start())
                    for member in servers.indices where random.below(3) > 0 {
                        if groups[g].follow(servers[member]) { following[g].insert(member) }
                        #expect(following[g].contains(member) == open.contains(member))
                    }
                }
                let sender: Int? = random.below(3) == 0 ? nil : random.below(servers.count)
                let reuse = random.below(4) == 0 && lastKey != nil && (mode == 2 || (mode == 3 && lastGroup == g))
                let key = reuse ? lastKey! : SharedKey()
                let line = reuse ? lastLine : Array("G\(g) step \(step) from \(sender.map(String.init) ?? "-")\(pad)\n".utf8)
                let reached = line.withUnsafeBytes { groups[g].append($0, key: key, except: sender.map { servers[$0] }) }
                var model = 0
                for member in following[g].sorted() where member != sender && open.contains(member) {
                    expected[member] += line
                    model += 1
                }
                #expect(reached == model)
                lastKey = key
                lastLine = line
                lastGroup = g
            case 4, 5:  // a private line
                let who = random.below(servers.count)
                let line = Array("PRIV \(who) step \(step)\n".utf8)
                servers[who].write(line)
                if open.contains(who) { expected[who] += line }
            case 6:  // a shared event, sometimes the last room message again (same key)
                let reuse = random.below(2) == 0 && lastKey != nil && mode >= 1
                let key = reuse ? lastKey! : SharedKey()
                let line = reuse ? lastLine : Array("EVENT step \(step)\n".utf8)
                for who in servers.indices where random.below(2) == 0 {
                    line.withUnsafeBytes { servers[who].write($0, sharedAs: key) }
                    if open.contains(who) { expected[who] += line }
                }
            case 7:
                groups[g].stop()
                following[g] = []
            case 8:  // rarely, a graceful close: what was gathered for it still goes out
                let who = random.below(servers.count)
                if random.below(40) == 0, open.count > 2, open.contains(who) {
                    servers[who].close(.graceful)
                    open.remove(who)
                }
            default:
                if random.below(2) == 0 { peers[random.below(peers.count)].write(Array("x".utf8)) }  // input: may hold back a flush
                if random.below(2) == 0 {
                    let wasGathering = groups.contains { $0.isGathering }
                    try harness.loop.runOnce(maximumWait: 0)
                    if wasGathering && groups.contains(where: { $0.isGathering }) { heldBack += 1 }
                    if servers.contains(where: { $0.writeNeeds != nil }) { blocked += 1 }
                }
            }
        }
        #expect(heldBack > 0, "no gather spanned a held-back flush")
        #expect(options == nil || blocked > 0, "no write blocked")
        #expect(try harness.run { zip(clients, expected).allSatisfy { $0.received.count >= $1.count } })
        for (index, (client, bytes)) in zip(clients, expected).enumerated() where client.received != bytes {
            let got = String(decoding: client.received, as: UTF8.self).split(separator: "\n")
            let want = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
            let first = (0..<min(got.count, want.count)).first { got[$0] != want[$0] } ?? min(got.count, want.count)
            Issue.record("connection \(index): \(got.count) lines, want \(want.count); first difference at line \(first): got \(got[first..<min(first + 4, got.count)]) want \(want[first..<min(first + 4, want.count)])")
        }
    }

    /// A reloaded configuration lowers `maximumBufferedOutput` (ClientConnection.apply)
    /// while a gather is on: as one by one, the next message closes the connection.
    @Test("a limit lowered during a gather is enforced at the next message")
    func limitLoweredDuringGather() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let (_, _, member, _) = try harness.openPair()
        member.maximumBufferedOutput = 1 << 20
        let group = BroadcastGroup(loop: harness.loop)
        gatherIfIdle(group, [member])
        let line = [UInt8](repeating: 65, count: 3_000)
        _ = line.withUnsafeBytes { group.append($0, key: SharedKey()) }
        member.maximumBufferedOutput = 4_096  // as ClientConnection.apply does on reload
        let reached = line.withUnsafeBytes { group.append($0, key: SharedKey()) }
        #expect(reached == 0 && member.state == .closed, "queued \(member.bufferedOutputByteCount) of 4,096")
    }

    /// The same message (same key) appended to two groups one connection follows: each
    /// group keeps its own copy, so the merge by arena position gives m m n n.
    @Test("the same key appended to two followed groups keeps queue order")
    func sameKeyInTwoGroups() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let (_, clientSide, member, _) = try harness.openPair()
        let rooms = [BroadcastGroup(loop: harness.loop), BroadcastGroup(loop: harness.loop)]
        gatherIfIdle(rooms[0], [member])
        gatherIfIdle(rooms[1], [member])
        for text in ["m\n", "n\n"] {
            let key = SharedKey()
            for room in rooms { _ = Array(text.utf8).withUnsafeBytes { room.append($0, key: key) } }
        }
        #expect(try harness.run { clientSide.received.count >= 8 })
        #expect(String(decoding: clientSide.received, as: UTF8.self) == "m\nm\nn\nn\n")
    }
}

extension SplitMix64 {
    /// A number in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
