// RoomGatheringTests: room messages handed out through the server layer's
// RoomBroadcast (a fake one here that delivers to FakeLinks at once) must
// reach every client exactly as the one-by-one fan-out does: the same script
// of SAY, MSG, JOIN, PART, CAP REQ history, full and non-following clients,
// commits and flushes runs on a core with gathering and one without, and
// every client's lines and every `sent N/M` must be equal. It also checks
// that gathering is really used: one start per room per flush while the
// members stay the same, and a fresh one after each change.
@testable import ChatCore
import Testing

/// Makes FakeBroadcasts and ends their gathers on `flush()`, as the loop's flush does.
final class FakeBroadcastMaker: RoomBroadcastMaker {
    var made: [FakeBroadcast] = []
    func makeRoomBroadcast() -> RoomBroadcast {
        let broadcast = FakeBroadcast()
        made.append(broadcast)
        return broadcast
    }
    func flush() { for broadcast in made { broadcast.stop() } }
    var starts: Int { made.reduce(0) { $0 + $1.starts } }
}

/// Follows FakeLinks that allow it and sends each appended message to them at once.
final class FakeBroadcast: RoomBroadcast {
    private var followers: [FakeLink] = []
    private(set) var isGathering = false
    var starts = 0

    func start() -> Bool {
        stop()
        isGathering = true
        starts += 1
        return true
    }

    func follow(_ link: ChatSessionLink) -> Bool {
        guard isGathering, let fake = link as? FakeLink, fake.canFollow else { return false }
        followers.append(fake)
        return true
    }

    func append(_ message: OutboundMessage, except sender: ChatSessionLink?) -> Int {
        precondition(isGathering)
        var reached = 0
        for follower in followers where follower !== sender && follower.send(message) { reached += 1 }
        return reached
    }

    func stop() {
        isGathering = false
        followers.removeAll()
    }
}

@Suite("room gathering", .serialized)
struct RoomGatheringTests {
    /// One step of the script: a client's line, a commit, or a flush (the gathers end).
    enum Step {
        case line(Int, String)
        case commit
        case flush
        case full(Int, Bool)
    }

    static let script: [Step] = {
        var steps: [Step] = [.line(0, "JOIN #dev"), .line(1, "JOIN #dev"), .line(2, "JOIN #dev")]
        for round in 0..<6 {
            steps += [.line(round % 5, "SAY one \(round)"), .line((round + 1) % 5, "SAY two \(round)"),
                      .line(2, "MSG #dev to dev \(round)"), .line(0, "MSG #lobby lobby \(round)")]
            switch round {
            case 1: steps += [.line(3, "JOIN #dev"), .line(3, "SAY new here")]  // joins mid-gather
            case 2: steps += [.line(1, "CAP REQ history"), .line(0, "SAY after cap")]
            case 3: steps += [.full(4, true), .line(0, "MSG #lobby while full"), .commit, .full(4, false)]
            case 4: steps += [.line(2, "PART #dev"), .line(0, "MSG #dev after part")]
            default: break
            }
            steps.append(.commit)
            if round % 2 == 1 { steps.append(.flush) }
        }
        return steps + [.commit, .flush]
    }()

    /// Runs the script on a fresh core with history; returns every client's lines.
    static func run(gathering: Bool) throws -> (lines: [[String]], starts: Int) {
        let fixture = try HistoryFixture()
        let maker = FakeBroadcastMaker()
        if gathering { fixture.core.roomBroadcastMaker = maker }
        let clients = (0..<5).map { Client(fixture.core, cert: "user\($0)") }
        clients[4].link.canFollow = false  // e.g. an IRC client: sent to one by one
        _ = clients[0].send("CAP REQ history")
        for step in script {
            switch step {
            case .line(let index, let line): fixture.core.receive(line: Array(line.utf8), from: clients[index].session)
            case .commit: fixture.commit()
            case .flush: maker.flush()
            case .full(let index, let full): clients[index].link.accepting = !full
            }
        }
        return (clients.map(\.link.lines), maker.starts)
    }

    @Test("every client gets the same lines and counts with gathering as without")
    func sameLinesAsOneByOne() throws {
        let (gathered, starts) = try Self.run(gathering: true)
        let (direct, _) = try Self.run(gathering: false)
        for (index, (mine, reference)) in zip(gathered, direct).enumerated() {
            #expect(mine == reference, "client \(index)")
        }
        #expect(direct[1].contains { $0.hasPrefix("MSGID ") && $0.hasSuffix(" #dev user0 cert after cap") }, "ids after CAP REQ history")
        #expect(direct[0].contains { $0.hasPrefix("OK MSG #lobby sent 3/4 ") }, "the full client is not counted")
        #expect(starts > 0 && starts < 40, "gathers were used and reused (\(starts) starts)")
    }

    @Test("one start per room per flush while the members stay; a join starts a new one")
    func gathersAreReused() throws {
        let fixture = try HistoryFixture()
        let maker = FakeBroadcastMaker()
        fixture.core.roomBroadcastMaker = maker
        let clients = (0..<4).map { Client(fixture.core, cert: "user\($0)") }
        for round in 0..<10 { fixture.core.receive(line: Array("SAY \(round)".utf8), from: clients[round % 3].session) }
        fixture.commit()
        #expect(maker.starts == 1)
        #expect(clients[3].link.lines.filter { $0.hasPrefix("MSG #lobby") }.count == 10)
        fixture.core.receive(line: Array("SAY before".utf8), from: clients[0].session)
        fixture.commit()
        #expect(maker.starts == 1, "same flush, same members")
        let late = Client(fixture.core, cert: "late")
        fixture.core.receive(line: Array("SAY after".utf8), from: clients[0].session)
        fixture.commit()
        #expect(maker.starts == 2)
        #expect(late.link.lines.last == "MSG #lobby user0 cert after")
        maker.flush()
        fixture.core.receive(line: Array("SAY next flush".utf8), from: clients[0].session)
        fixture.commit()
        #expect(maker.starts == 3)
    }
}
