// StateChunks: a node's whole state (every local user with their rooms) as
// several `state` events when it is large, so no NATS message comes near the
// server's max_payload (1 MiB by default; 20,000 users with many rooms would
// pass it and the state would never arrive). Each part carries the sending
// node's serial for this state, its index and the number of parts; at most
// `usersPerPart` users each (a user is at most about 600 bytes of JSON: a
// 32-character name and 16 rooms of 33). A state of one part is sent without
// these fields, as before. StateAssembly puts the parts back together on the
// receiving node, one assembly per sending node, and hands out the complete
// list only when every part of one serial is in; a part of a newer serial
// starts over, an older one is dropped. Bounded: at most `maximumParts`
// parts per state. It decides nothing about users; ClusterNode applies them.
struct StateChunks {
    static let usersPerPart = 500
    /// Parts one state may have (a million users).
    static let maximumParts = 2000

    /// The `state` events that together carry `users`.
    static func events(node: String, serial: Int, users: [PresenceEvent.User]) -> [PresenceEvent] {
        let parts = max(1, (users.count + usersPerPart - 1) / usersPerPart)
        return (0..<parts).map { index in
            var event = PresenceEvent(.state, node: node)
            event.users = Array(users[min(users.count, index * usersPerPart)..<min(users.count, (index + 1) * usersPerPart)])
            if parts > 1 { (event.serial, event.part, event.parts) = (serial, index, parts) }
            return event
        }
    }
}

/// The parts of one node's latest state received so far.
struct StateAssembly {
    private var serial: Int?
    private var parts = 0
    private var received: [Int: [PresenceEvent.User]] = [:]

    /// Adds a `state` event; returns the node's complete user list once every part is in.
    mutating func add(_ event: PresenceEvent) -> [PresenceEvent.User]? {
        guard let serial = event.serial, let part = event.part, let parts = event.parts else {
            self = StateAssembly()  // a whole state in one message replaces any half-received one
            return event.users ?? []
        }
        guard (1...StateChunks.maximumParts).contains(parts), (0..<parts).contains(part) else { return nil }
        if let current = self.serial, serial < current { return nil }  // an older state, superseded
        if self.serial != serial || self.parts != parts {
            (self.serial, self.parts, received) = (serial, parts, [:])
        }
        received[part] = event.users ?? []
        guard received.count == parts else { return nil }
        let users = (0..<parts).flatMap { received[$0]! }
        self = StateAssembly()
        return users
    }
}
