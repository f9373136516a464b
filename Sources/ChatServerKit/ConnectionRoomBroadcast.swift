// ConnectionRoomBroadcast: the core's RoomBroadcast (see ChatCore's
// RoomGathering) on ChatNet's BroadcastGroup. A chat/1 client whose
// connection is open follows the group; an IRC client (its link is its IRC
// edge, which rewrites each line) and a connection in the middle of a
// STARTTLS upgrade do not, and the core sends to them one by one. The sender
// a message is excluded from is found through its link. It adds no policy:
// who is in a room and what a line says are the core's.
import ChatCore
import ChatNet

final class ConnectionRoomBroadcasts: RoomBroadcastMaker {
    private let loop: EventLoop

    init(loop: EventLoop) { self.loop = loop }

    func makeRoomBroadcast() -> RoomBroadcast { ConnectionRoomBroadcast(group: BroadcastGroup(loop: loop)) }
}

final class ConnectionRoomBroadcast: RoomBroadcast {
    private let group: BroadcastGroup

    init(group: BroadcastGroup) { self.group = group }

    var isGathering: Bool { group.isGathering }

    func start() -> Bool { group.start() }

    func follow(_ link: ChatSessionLink) -> Bool {
        guard let client = link as? ClientConnection, let connection = client.followableConnection else { return false }
        return group.follow(connection)
    }

    func append(_ message: OutboundMessage, except sender: ChatSessionLink?) -> Int {
        let excluded = (sender as? ClientConnection)?.connection
        return message.bytes.withUnsafeBytes { group.append($0, key: message, except: excluded) }
    }

    func stop() { group.stop() }
}
