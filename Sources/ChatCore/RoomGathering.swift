// RoomGathering: a room's messages handed to its members once per flush
// instead of once per message. The server layer offers a `RoomBroadcast` (a
// shared output that links can follow for the rest of the current flush);
// on a room's first message of a flush the core walks the members once, lets
// every link that can follow do so (members that asked for ids follow a
// second broadcast carrying the lines with ids), and keeps the rest (links
// that cannot follow, such as IRC clients) as direct recipients that are
// sent each message as before. Each later message of that flush is one
// append per broadcast plus a send per direct recipient, whatever the room's
// size. The gather is dropped whenever the set of members or what a member
// receives changes (join, leave, capabilities, STARTTLS), so the next
// message starts a fresh one; the server layer ends it after every flush.
// Counting is unchanged: a message's `sent` is the followers it reached plus
// the direct sends that were queued. No I/O here.

/// One room's shared output for the current flush, provided by the server layer.
public protocol RoomBroadcast: AnyObject {
    /// Whether a gather is on: its followers are set and `append` reaches them.
    var isGathering: Bool { get }
    /// Starts a gather with no follower (ending any earlier one). False: not possible
    /// now (the server is writing its output); send to each member instead.
    func start() -> Bool
    /// Makes `link` a follower of the current gather. False: it cannot follow (send to it).
    func follow(_ link: ChatSessionLink) -> Bool
    /// Queues `message` for every follower but `sender`; returns how many it reached.
    func append(_ message: OutboundMessage, except sender: ChatSessionLink?) -> Int
    /// Ends the gather; followers keep everything appended so far.
    func stop()
}

/// Makes the broadcasts rooms gather into (one or two per room, kept with the room).
public protocol RoomBroadcastMaker: AnyObject {
    func makeRoomBroadcast() -> RoomBroadcast
}

final class RoomGathering {
    private let plain: RoomBroadcast
    /// For members that enabled `history` (lines with ids); made when first needed.
    private var withIDs: RoomBroadcast?
    /// Whether `withIDs` takes part in the current gather.
    private var withIDsInUse = false
    /// Members that could not follow: sent each message one by one.
    private var direct: [ChatSession] = []

    init(maker: RoomBroadcastMaker) { plain = maker.makeRoomBroadcast() }

    var isGathering: Bool { plain.isGathering && (!withIDsInUse || withIDs!.isGathering) }

    /// Starts a gather for `members`. False: none can start now.
    func start(members: [ChatSession], maker: RoomBroadcastMaker) -> Bool {
        stop()
        guard plain.start() else { return false }
        for member in members {
            if member.wantsMessageIDs {
                if !withIDsInUse {
                    let broadcast = withIDs ?? maker.makeRoomBroadcast()
                    withIDs = broadcast
                    withIDsInUse = broadcast.start()
                }
                if withIDsInUse, withIDs!.follow(member.link) { continue }
            } else if plain.follow(member.link) {
                continue
            }
            direct.append(member)
        }
        return true
    }

    /// Queues a room message for every member but `sender`; returns how many it reached.
    /// `withID` (nil: `message`) goes to members that enabled `history`.
    func append(_ message: OutboundMessage, withID: OutboundMessage?, except sender: ChatSession?) -> Int {
        var sent = plain.append(message, except: sender?.link)
        if withIDsInUse { sent += withIDs!.append(withID ?? message, except: sender?.link) }
        for member in direct where member !== sender {
            if member.link.send(member.wantsMessageIDs ? withID ?? message : message) { sent += 1 }
        }
        return sent
    }

    /// Ends the gather (members or what they receive changed).
    func stop() {
        plain.stop()
        if withIDsInUse { withIDs!.stop() }
        withIDsInUse = false
        direct.removeAll()
    }
}

extension ChatServerCore {
    /// Drops the gathers of `session`'s rooms: what it receives is about to change.
    func stopGathering(for session: ChatSession) {
        for name in session.rooms { rooms[name]?.gathering?.stop() }
    }
}
