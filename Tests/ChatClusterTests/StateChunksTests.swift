// StateChunksTests: a large node state leaves in parts that each stay far
// below NATS's default max_payload (1 MiB), and comes back whole on the other
// side in any order of arrival; a state of one part is sent as before; a
// newer state replaces a half-received one, an older or malformed part is
// dropped.
@testable import ChatCluster
import Testing

@Suite struct StateChunksTests {
    /// `count` users with the longest names and the most rooms a server allows by default.
    static func users(_ count: Int, prefix: String = "u", rooms roomCount: Int = 16) -> [PresenceEvent.User] {
        let rooms = (0..<roomCount).map { "#" + String(repeating: "r", count: 29) + String($0, radix: 16).leftPaddedThree }
        return (0..<count).map { index in
            let name = prefix + String(index)
            return PresenceEvent.User(name: name + String(repeating: "x", count: 32 - name.count), trust: "cert", rooms: rooms,
                                      since: 1_765_000_000)
        }
    }

    @Test func twentyThousandUsersGoInPartsBelowTheMaximumPayloadAndComeBackWhole() throws {
        let users = Self.users(20_000)
        let events = StateChunks.events(node: "n1", serial: 7, users: users)
        #expect(events.count > 40, "13 MB of state in parts of at most 256 KiB")
        for event in events {
            #expect(event.encoded().count <= StateChunks.maximumPartBytes, "a part of \(event.encoded().count) bytes")
            #expect(PresenceEvent.decode(event.encoded()) == event)
        }
        var inOrder = StateAssembly()
        let whole = events.compactMap { inOrder.add($0) }
        #expect(whole == [users])
        var reversed = StateAssembly()
        #expect(events.reversed().compactMap { reversed.add($0) } == [users])
    }

    @Test func usersInAThousandRoomsEachStillFitTheMaximumPayload() throws {
        let users = Self.users(100, rooms: 1000)
        let events = StateChunks.events(node: "n1", serial: 1, users: users)
        #expect(events.count >= 14, "about 37 KB a user: a few users a part")
        #expect(events.allSatisfy { $0.encoded().count <= StateChunks.maximumPartBytes })
        var assembly = StateAssembly()
        #expect(events.compactMap { assembly.add($0) } == [users])
    }

    @Test func aStateLeftIncompleteIsReportedStale() {
        let events = StateChunks.events(node: "n1", serial: 3, users: Self.users(2000))
        var assembly = StateAssembly()
        #expect(assembly.add(events[0], now: 1_000) == nil)
        #expect(!assembly.isStale(now: 5_000, limit: 10_000) && assembly.isStale(now: 12_000, limit: 10_000))
        #expect(!StateAssembly().isStale(now: 1_000_000, limit: 10), "nothing half-received")
    }

    @Test func aSmallStateIsOneEventWithoutPartFields() {
        let users = Self.users(3)
        let events = StateChunks.events(node: "n1", serial: 1, users: users)
        #expect(events.count == 1 && events[0].parts == nil && events[0].serial == nil && events[0].users == users)
        var assembly = StateAssembly()
        #expect(assembly.add(events[0]) == users)
        #expect(StateChunks.events(node: "n1", serial: 2, users: []).map(\.users) == [[]], "no users: one empty state")
    }

    @Test func aNewerStateReplacesAHalfReceivedOneAndOlderOrBrokenPartsAreDropped() {
        let old = StateChunks.events(node: "n1", serial: 1, users: Self.users(1200, prefix: "o"))
        let new = StateChunks.events(node: "n1", serial: 2, users: Self.users(700, prefix: "n"))
        var assembly = StateAssembly()
        #expect(assembly.add(old[0]) == nil && assembly.add(old[1]) == nil)
        #expect(assembly.add(new[0]) == nil)
        #expect(assembly.add(old[2]) == nil, "a part of an older state")
        var broken = new[1]
        broken.part = 5
        #expect(assembly.add(broken) == nil, "a part beyond the count")
        broken.part = 1
        broken.parts = StateChunks.maximumParts + 1
        #expect(assembly.add(broken) == nil, "too many parts")
        #expect(assembly.add(new[1]) == Self.users(700, prefix: "n"))
    }
}

extension String {
    fileprivate var leftPaddedThree: String { String(repeating: "0", count: max(0, 3 - count)) + self }
}
