// RoomFeedSource: how ClusterNode follows the stored messages of a room, in
// the order of the shared history, while this node has members in it. The
// JetStream implementation (JetStreamRoomFeeds) runs one ordered consumer per
// room; tests of the node's presence logic can run without one. Interface
// only.
import ChatCore

public protocol RoomFeedSource: AnyObject {
    /// Starts delivering the room's messages stored from now on, each once, in history
    /// order, on the loop thread, until the returned subscription is stopped.
    func follow(room: String, deliver: @escaping (HistoryEntry) -> Void) -> any RoomFeedSubscription
}

public protocol RoomFeedSubscription: AnyObject {
    func stop()
}
