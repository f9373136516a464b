// RoomFeedSource: how ClusterNode follows the stored messages of a room, in
// the order of the shared history, while this node has members in it. A feed
// hands over each stored message's entries (one or more: HistoryPosition)
// with the message's stream sequence, and starts after a stream sequence the
// node knows to be no later than the moment its first member joined
// (ClusterNode's `highestSequence`), so a message said right after that join,
// on any node, is never missed; a few said just before it may be delivered
// too. The JetStream implementation (JetStreamRoomFeeds) runs one ordered
// consumer per room. Interface only.
import ChatCore

public protocol RoomFeedSource: AnyObject {
    /// Told, once per feed, of a stored message (or entries of one) that could not be read:
    /// it came from a broken or hostile node (ClusterNode logs it).
    var onUndecodable: ((String) -> Void)? { get set }

    /// Starts delivering the room's messages stored after stream sequence `after` (0: from
    /// now on), each once, in history order, on the loop thread, until the returned
    /// subscription is stopped: per stream message its sequence and its entries in order,
    /// located in the message's bytes (none when it could not be read).
    func follow(room: String, after: UInt64,
                deliver: @escaping (_ sequence: UInt64, _ batch: StoredRoomBatch) -> Void) -> any RoomFeedSubscription
}

public protocol RoomFeedSubscription: AnyObject {
    func stop()
}
