// SessionRestore: what `tlschat --reconnect` puts back after a new greeting:
// the name an anonymous user chose, the rooms it was in and which of them was
// current.
//
// Taken from the `SessionIdentity` of the lost connection; turned into
// ordinary commands once the new greeting says where the server put us:
// NICK (anonymous users who had chosen a name; certificate names come back by
// themselves), JOIN for each missing room with the current room joined last
// so it is current again, and PART for a room the server joined us to that we
// had left. Their replies are shown like any others, so a room that cannot be
// rejoined is visible. Messages sent while we were away are fetched
// afterwards by `ClientHistory` when the server keeps history. Pure.

public struct SessionRestore: Equatable, Sendable {
    /// The name to ask for again, without the server's "~" (nil: keep what the greeting gives).
    public let nickname: String?
    /// Rooms we were in, oldest join first.
    public let rooms: [String]
    /// The room that was current.
    public let currentRoom: String?

    public init(_ identity: SessionIdentity) {
        if identity.trust != "cert", let name = identity.name, name.hasPrefix("~"), !name.hasPrefix("~guest") {
            nickname = String(name.dropFirst())
        } else {
            nickname = nil
        }
        rooms = identity.rooms
        currentRoom = identity.currentRoom
    }

    /// The commands that bring `greeted` (the identity after the new greeting) back to this state.
    public func commands(after greeted: SessionIdentity) -> [String] {
        var commands: [String] = []
        if let nickname, greeted.name != "~" + nickname { commands.append("NICK \(nickname)") }
        for room in greeted.rooms where !rooms.contains(room) { commands.append("PART \(room)") }
        let joins = rooms.filter { $0 != currentRoom && !greeted.rooms.contains($0) }
        commands += joins.map { "JOIN \($0)" }
        // Each JOIN makes its room current, so the current one goes last.
        if let currentRoom, !joins.isEmpty || greeted.currentRoom != currentRoom {
            commands.append("JOIN \(currentRoom)")
        }
        return commands
    }
}
