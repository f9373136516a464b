// StateChunks: a node's whole state (every local user with their rooms) as
// several `state` events when it is large, so no NATS message comes near the
// server's max_payload (1 MiB by default; 20,000 users with many rooms would
// pass it and the state would never arrive). Parts are cut by size: at most
// `maximumPartBytes` of JSON each (estimated per user from its name and
// rooms, with room to spare; a user with 1000 rooms is about 37 KB). Each
// part carries the sending node's serial for this state, its index and the
// number of parts; a state of one part is sent without these fields, as
// before (nodes of an older version treat every part as a whole state: all
// nodes of a cluster must run one version). StateAssembly puts the parts back
// together on the receiving node, one assembly per sending node, and hands
// out the complete list only when every part of one serial is in; a part of
// a newer serial starts over, an older one is dropped, and an assembly left
// incomplete is reported stale (the receiver then asks for the state again).
// Bounded: at most `maximumParts` parts per state. Sending them without
// flooding the NATS connection is StatePublisher's job. It decides nothing
// about users; ClusterNode applies them.
struct StateChunks {
    static let maximumPartBytes = 256 * 1024
    /// Parts one state may have (far more than a million users).
    static let maximumParts = 4000

    /// The `state` events that together carry `users`.
    static func events(node: String, serial: Int, users: [PresenceEvent.User]) -> [PresenceEvent] {
        var parts: [[PresenceEvent.User]] = [[]]
        var bytes = 0
        for user in users {
            let size = estimatedBytes(user)
            if bytes + size > maximumPartBytes && !parts[parts.count - 1].isEmpty {
                parts.append([])
                bytes = 0
            }
            parts[parts.count - 1].append(user)
            bytes += size
        }
        return parts.enumerated().map { index, users in
            var event = PresenceEvent(.state, node: node)
            event.users = users
            if parts.count > 1 { (event.serial, event.part, event.parts) = (serial, index, parts.count) }
            return event
        }
    }

    /// An upper bound of the user's JSON: field names, quotes, commas and the numbers, plus
    /// its name and rooms (JSON escapes nothing in valid names and rooms).
    static func estimatedBytes(_ user: PresenceEvent.User) -> Int {
        64 + user.name.utf8.count + user.trust.utf8.count + user.rooms.reduce(0) { $0 + $1.utf8.count + 3 }
    }
}

/// The parts of one node's latest state received so far.
struct StateAssembly {
    private var serial: Int?
    private var parts = 0
    private var received: [Int: [PresenceEvent.User]] = [:]
    /// When the first part of the state being assembled arrived (monotonic nanoseconds).
    private(set) var startedAt: UInt64?

    /// Adds a `state` event; returns the node's complete user list once every part is in.
    mutating func add(_ event: PresenceEvent, now: UInt64 = 0) -> [PresenceEvent.User]? {
        guard let serial = event.serial, let part = event.part, let parts = event.parts else {
            self = StateAssembly()  // a whole state in one message replaces any half-received one
            return event.users ?? []
        }
        guard (1...StateChunks.maximumParts).contains(parts), (0..<parts).contains(part) else { return nil }
        if let current = self.serial, serial < current { return nil }  // an older state, superseded
        if self.serial != serial || self.parts != parts {
            (self.serial, self.parts, received, startedAt) = (serial, parts, [:], now)
        }
        received[part] = event.users ?? []
        guard received.count == parts else { return nil }
        let users = (0..<parts).flatMap { received[$0]! }
        self = StateAssembly()
        return users
    }

    /// Whether a state has been half-received for longer than `limit` nanoseconds.
    func isStale(now: UInt64, limit: UInt64) -> Bool {
        guard let startedAt else { return false }
        return now &- startedAt > limit
    }
}
