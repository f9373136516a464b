// StateChunksTests: a large node state leaves in parts that each stay far
// below NATS's default max_payload (1 MiB), and comes back whole on the other
// side in any order of arrival; a state of one part is sent as before; a
// newer state replaces a half-received one, an older or malformed part is
// dropped.
@testable import ChatCluster
import Testing

@Suite struct StateChunksTests {
    /// `count` users with the longest names and the most rooms a server allows by default.
    static func users(_ count: Int, prefix: String = "u") -> [PresenceEvent.User] {
        let rooms = (0..<16).map { "#" + String(repeating: "r", count: 30) + String($0, radix: 16).leftPaddedTwo }
        return (0..<count).map { index in
            let name = prefix + String(index)
            return PresenceEvent.User(name: name + String(repeating: "x", count: 32 - name.count), trust: "cert", rooms: rooms)
        }
    }

    @Test func twentyThousandUsersGoInPartsBelowTheMaximumPayloadAndComeBackWhole() throws {
        let users = Self.users(20_000)
        let events = StateChunks.events(node: "n1", serial: 7, users: users)
        #expect(events.count == 40)
        for event in events {
            #expect(event.encoded().count < 512 * 1024, "a part of \(event.encoded().count) bytes")
            #expect(PresenceEvent.decode(event.encoded()) == event)
        }
        var inOrder = StateAssembly()
        let whole = events.compactMap { inOrder.add($0) }
        #expect(whole == [users])
        var reversed = StateAssembly()
        #expect(events.reversed().compactMap { reversed.add($0) } == [users])
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
    fileprivate var leftPaddedTwo: String { count >= 2 ? self : "0" + self }
}
