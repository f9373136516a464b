// ChatSession and ChatRoom: the state the core keeps per connected client and
// per room. Plain containers; the rules live in `ChatServerCore`.

public final class ChatSession {
    public let id: Int
    public internal(set) var name: String
    public internal(set) var trust: Trust
    public let credentials: ClientCredentials
    let link: ChatSessionLink
    /// Rooms joined, oldest first; the last is the current room.
    var rooms: [String] = []
    var isGone = false

    init(id: Int, name: String, trust: Trust, credentials: ClientCredentials, link: ChatSessionLink) {
        self.id = id
        self.name = name
        self.trust = trust
        self.credentials = credentials
        self.link = link
    }

    public var currentRoom: String? { rooms.last }

    func send(_ line: String) { _ = link.send(OutboundMessage(line: line)) }
}

final class ChatRoom {
    let name: String
    /// Members by session id; iteration order is not relied upon for output.
    var members: [Int: ChatSession] = [:]

    init(name: String) { self.name = name }
}
