// BroadcastGroupTests: connections following a BroadcastGroup, over plain TCP
// and TLS on both selectors. Each recipient must receive exactly its own
// sequence when two groups (rooms) with overlapping followers interleave with
// private replies and single shared writes, when the sender is skipped, when
// the gather is restarted after every flush as the core does, and when its
// socket buffers are tiny (the gathered bytes must outlive the arena). The
// output limit closes the follower that a message overflows, and only it,
// and it is not counted, also when its bytes come from two groups; a graceful
// close still delivers what was gathered; `stop` keeps what followers have;
// nothing can start while the loop flushes.
@testable import ChatNet
import Testing

@Suite("Broadcast groups", .serialized)
struct BroadcastGroupTests {
    @Test("followers get their own order across two groups, skipped senders, replies and shared writes",
          arguments: ContractCase.all)
    func interleaved(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector)
        defer { harness.tearDown() }
        var servers: [StreamConnection] = [], clients: [RecordingDelegate] = []
        for _ in 0..<4 {
            let (_, clientSide, server, _) = try harness.openPair()
            servers.append(server)
            clients.append(clientSide)
        }
        let rooms = [[0, 1, 2], [1, 2, 3]]  // connections 1 and 2 are in both
        let groups = rooms.map { _ in BroadcastGroup(loop: harness.loop) }
        var expected = Array(repeating: [UInt8](), count: servers.count)
        for round in 0..<120 {
            let room = round % 3 == 2 ? 1 : 0
            let members = rooms[room]
            let sender = members[round % members.count]
            gatherIfIdle(groups[room], members.map { servers[$0] })
            let line = Array("MSG #room\(room) user\(sender) round \(round)\n".utf8)
            let reached = line.withUnsafeBytes { groups[room].append($0, key: SharedKey(), except: servers[sender]) }
            #expect(reached == members.count - 1)
            for member in members where member != sender { expected[member] += line }
            let reply = Array("OK SAY #room\(room) sent \(round)\n".utf8)
            servers[sender].write(reply)
            expected[sender] += reply
            if round % 3 == 0 {  // a private line to a follower with gathered bytes it has not taken
                let other = members[(round + 1) % members.count] == sender ? members[(round + 2) % members.count]
                                                                            : members[(round + 1) % members.count]
                let notice = Array("PRIVMSG user\(other) round \(round)\n".utf8)
                servers[other].write(notice)
                expected[other] += notice
            }
            if round % 5 == 0 {  // an event sent with a single shared write, as JOINED is
                let event = Array("JOINED #room\(room) someone \(round)\n".utf8)
                let key = SharedKey()
                for member in members {
                    event.withUnsafeBytes { servers[member].write($0, sharedAs: key) }
                    expected[member] += event
                }
            }
            if round % 7 == 0 { try harness.loop.runOnce(maximumWait: 0) }  // flushes end the gathers
        }
        #expect(try harness.run { zip(clients, expected).allSatisfy { $0.received.count == $1.count } })
        for (client, bytes) in zip(clients, expected) {
            #expect(String(decoding: client.received, as: UTF8.self) == String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test("gathered bytes that would block are kept after the arena is emptied", arguments: ContractCase.all)
    func blockedFollower(_ testCase: ContractCase) throws {
        let harness = try ConnectionHarness(testCase.transport, selector: testCase.selector,
                                            socketOptions: SocketOptions(sendBufferSize: 4096, receiveBufferSize: 4096))
        defer { harness.tearDown() }
        let (_, clientSide, server, _) = try harness.openPair()
        let group = BroadcastGroup(loop: harness.loop)
        var expected: [UInt8] = []
        func broadcast(_ index: Int) {
            gatherIfIdle(group, [server])
            let line = [UInt8]("broadcast \(index) ".utf8) + [UInt8](repeating: 0x61 + UInt8(index % 26), count: 900) + [0x0A]
            line.withUnsafeBytes { _ = group.append($0, key: SharedKey()) }
            expected += line
        }
        for index in 0..<400 { broadcast(index) }  // 364 KB in one gather: far more than the socket buffers
        try harness.loop.runOnce(maximumWait: 0)
        #expect(server.bufferedOutputByteCount > 0, "the flush should have blocked")
        for index in 400..<450 {
            broadcast(index)
            try harness.loop.runOnce(maximumWait: 0)
        }
        #expect(try harness.run { clientSide.received.count == expected.count })
        #expect(clientSide.received == expected)
    }

    @Test("the message that overflows a follower's limit closes it, and it is not counted")
    func outputLimit() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let (_, _, small, smallSide) = try harness.openPair()
        let (_, _, large, _) = try harness.openPair()
        let (_, _, replied, repliedSide) = try harness.openPair()
        small.maximumBufferedOutput = 10_000
        replied.maximumBufferedOutput = 10_000
        let group = BroadcastGroup(loop: harness.loop)
        gatherIfIdle(group, [small, large, replied])
        [UInt8](repeating: 82, count: 6_000).withUnsafeBytes { replied.write($0) }  // queued after it followed
        let line = [UInt8](repeating: 65, count: 3_000)
        var counts: [Int] = []
        for _ in 0..<4 { counts.append(line.withUnsafeBytes { group.append($0, key: SharedKey()) }) }
        // replied: 6,000 + 3,000 fits, the second line overflows; small: the fourth line overflows.
        #expect(counts == [3, 2, 2, 1])
        #expect(small.state == .closed && replied.state == .closed && large.state == .open)
        #expect(large.bufferedOutputByteCount == 12_000)
        #expect(try harness.run { smallSide.closeReason != nil && repliedSide.closeReason != nil })
        #expect(smallSide.closeReason == .outputLimitExceeded(10_000))
        #expect(repliedSide.closeReason == .outputLimitExceeded(10_000))
    }

    @Test("a follower of two groups is closed when their bytes together pass its limit")
    func outputLimitAcrossGroups() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let (_, _, slow, slowSide) = try harness.openPair()
        let (_, _, fast, _) = try harness.openPair()
        slow.maximumBufferedOutput = 10_000
        let rooms = [BroadcastGroup(loop: harness.loop), BroadcastGroup(loop: harness.loop)]
        gatherIfIdle(rooms[0], [slow, fast])
        gatherIfIdle(rooms[1], [slow])
        let line = [UInt8](repeating: 65, count: 3_000)
        var counts: [Int] = []
        for index in 0..<4 { counts.append(line.withUnsafeBytes { rooms[index % 2].append($0, key: SharedKey()) }) }
        #expect(counts == [2, 1, 2, 0], "the fourth line passes 10,000 queued bytes")
        #expect(slow.state == .closed && fast.state == .open)
        #expect(try harness.run { slowSide.closeReason != nil })
        #expect(slowSide.closeReason == .outputLimitExceeded(10_000))
    }

    @Test("a graceful close sends what was gathered; stop keeps it; a new gather does not reach leavers")
    func closeAndStop() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let (_, closingClient, closing, _) = try harness.openPair()
        let (_, stayingClient, staying, _) = try harness.openPair()
        let group = BroadcastGroup(loop: harness.loop)
        gatherIfIdle(group, [closing, staying])
        _ = Array("one\n".utf8).withUnsafeBytes { group.append($0, key: SharedKey()) }
        closing.close(.graceful)
        #expect(group.followerCount == 1)
        #expect(Array("two\n".utf8).withUnsafeBytes { group.append($0, key: SharedKey()) } == 1)
        group.stop()  // e.g. someone joined: the next message starts a new gather
        #expect(!group.isGathering && staying.bufferedOutputByteCount == 8)
        #expect(group.start() && group.follow(staying))
        _ = Array("three\n".utf8).withUnsafeBytes { group.append($0, key: SharedKey()) }
        #expect(try harness.run {
            String(decoding: stayingClient.received, as: UTF8.self) == "one\ntwo\nthree\n" && closingClient.closeReason != nil
        })
        #expect(String(decoding: closingClient.received, as: UTF8.self) == "one\n")
    }

    @Test("no gather starts while the loop flushes")
    func noGatherWhileFlushing() throws {
        let harness = try ConnectionHarness(.plain, selector: .epoll)
        defer { harness.tearDown() }
        let group = BroadcastGroup(loop: harness.loop)
        let probe = FlushProbe { (group.canGather, group.start()) }
        harness.loop.requestFlush(probe)
        try harness.loop.runOnce(maximumWait: 0)
        #expect(probe.seen?.canGather == false && probe.seen?.started == false)
        #expect(group.canGather && group.start() && group.isGathering)
    }
}

/// Records what `check` returned when the loop flushed it.
private final class FlushProbe: LoopFlushable {
    let check: () -> (canGather: Bool, started: Bool)
    var seen: (canGather: Bool, started: Bool)?
    init(_ check: @escaping () -> (canGather: Bool, started: Bool)) { self.check = check }
    func loopFlush() { seen = check() }
}

/// Starts a gather for `members` when none is on (after each flush), as the core does.
func gatherIfIdle(_ group: BroadcastGroup, _ members: [StreamConnection]) {
    guard !group.isGathering else { return }
    #expect(group.start())
    for member in members { #expect(group.follow(member)) }
}
