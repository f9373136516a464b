// RoomRoster: who is in each of our rooms, as far as the server has told us,
// so Tab can complete the names of the current room's members.
//
// Filled from `OK WHO ROOM COUNT NAME:TRUST ...` replies (the session asks
// for its rooms silently after the greeting and after each JOIN), kept up to
// date from JOINED, PARTED and RENAMED events, and from the senders of room
// messages (a WHO lists at most 100 names). Our own PART forgets the room.
// Names keep the server's spelling and are unique ignoring ASCII case. This
// file sends nothing and is not a source of truth for anything but completion.
// Pure.

public struct RoomRoster: Equatable, Sendable {
    private var members: [String: [String]] = [:]

    public init() {}

    /// The members of `room` we know of, in the order we learned of them.
    public func names(in room: String) -> [String] { members[room] ?? [] }

    public mutating func apply(_ event: ServerEvent) {
        switch event {
        case .joined(let room, let name, _): add(name, to: room)
        case .message(let room, let from, _, _): add(from, to: room)
        case .parted(let room, let name, _, _):
            let key = Self.key(name)
            members[room]?.removeAll { Self.key($0) == key }
        case .renamed(let old, let new, _):
            let key = Self.key(old)
            for (room, names) in members where names.contains(where: { Self.key($0) == key }) {
                members[room] = names.filter { Self.key($0) != key }
                add(new, to: room)
            }
        default: break
        }
    }

    /// Applies a reply to one of our commands.
    public mutating func apply(_ reply: Reply) {
        guard case .ok(let verb, let details) = reply else { return }
        let words = ServerLine.words(details)
        guard let room = words.first else { return }
        switch verb {
        case "WHO":
            members[room] = []
            for item in words.dropFirst(2) where !item.hasPrefix("+") {
                guard let colon = item.lastIndex(of: ":") else { continue }
                add(String(item[..<colon]), to: room)
            }
        case "PART":
            members[room] = nil
        default:
            break
        }
    }

    private mutating func add(_ name: String, to room: String) {
        let key = Self.key(name)
        guard !members[room, default: []].contains(where: { Self.key($0) == key }) else { return }
        members[room, default: []].append(name)
    }

    /// Names compare ignoring ASCII case (PROTOCOL.md section 3).
    private static func key(_ name: String) -> String { name.lowercased() }
}
