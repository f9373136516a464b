// SessionIdentity: who this client is on the server and which room is current,
// as far as the server has told it.
//
// Updated from the greeting (HELLO) and from the replies that change it:
// OK NICK, OK JOIN, OK PART and OK WHOAMI. Rooms are remembered in join order
// so that leaving the current room makes the most recently joined remaining
// room current, as the server does (PROTOCOL.md section 4). It drives the
// prompt. It does not send or parse lines. Pure.

public struct SessionIdentity: Equatable, Sendable {
    /// Our name, once the greeting arrived.
    public private(set) var name: String?
    /// Our trust level: "cert", "tls" or "plain".
    public private(set) var trust: String?
    /// "tls" or "plain".
    public private(set) var transport: String?
    /// Rooms we are in, oldest join first.
    public private(set) var rooms: [String] = []
    /// The room plain text goes to, or nil when we are in none.
    public private(set) var currentRoom: String?

    public init() {}

    /// True once the server's greeting arrived.
    public var isGreeted: Bool { name != nil }

    /// Applies an event; only HELLO changes who we are.
    public mutating func apply(_ event: ServerEvent) {
        guard case .hello(_, _, let transport, let name, let trust, let room) = event else { return }
        self.name = name
        self.trust = trust
        self.transport = transport
        rooms = room == "-" ? [] : [room]
        currentRoom = rooms.last
    }

    /// Applies a successful reply.
    public mutating func apply(_ reply: Reply) {
        guard case .ok(let verb, let details) = reply else { return }
        let words = ServerLine.words(details)
        switch verb {
        case "NICK":
            if let first = words.first { name = first }
        case "JOIN":
            guard let room = words.first else { return }
            rooms.removeAll { $0 == room }
            rooms.append(room)
            currentRoom = room
        case "PART":
            guard let room = words.first else { return }
            rooms.removeAll { $0 == room }
            if currentRoom == room || currentRoom == nil { currentRoom = rooms.last }
        case "WHOAMI":
            guard words.count >= 5 else { return }
            name = words[0]
            trust = words[1]
            transport = words[2]
            let room = words[4]
            currentRoom = room == "-" ? nil : room
            if let currentRoom, !rooms.contains(currentRoom) { rooms.append(currentRoom) }
        default:
            return
        }
    }

    /// The prompt, e.g. "alice@#lobby> ", "~guest1@(no room)> ", or "connecting> " before the greeting.
    public var prompt: String {
        guard let name else { return "connecting> " }
        return Sanitizer.forTerminal("\(name)@\(currentRoom ?? "(no room)")> ")
    }
}
