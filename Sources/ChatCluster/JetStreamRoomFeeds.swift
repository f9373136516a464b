// JetStreamRoomFeeds: the RoomFeedSource of a node whose history is in
// JetStream: one SubjectFeed per followed room on the history stream, each
// handing the room's stored messages (decoded with HistoryEntryCodec) in
// stream order, once each, from the moment it is created. A message that
// cannot be decoded is skipped and reported once per feed (it came from a
// broken peer; the others must still get theirs). It does not choose which
// rooms to follow (ClusterNode does).
import ChatCore
import NATSClient

public final class JetStreamRoomFeeds: RoomFeedSource {
    private let store: JetStreamHistoryStore
    /// Told of a message that could not be decoded.
    public var onUndecodable: ((String) -> Void)?

    public init(store: JetStreamHistoryStore) { self.store = store }

    public func follow(room: String, after: UInt64, deliver: @escaping (HistoryEntry) -> Void) -> any RoomFeedSubscription {
        let subjects = store.subjects
        var reported = false
        let feed = SubjectFeed(jetStream: store.jetStream, stream: subjects.historyStream,
                               subject: subjects.historySubject(.room(room)),
                               start: after == 0 ? .newOnly : .after(after)) { [weak self] sequence, message in
            do {
                deliver(try HistoryEntryCodec.decode(message.payload, scope: .room(room), sequence: sequence))
            } catch {
                if !reported { self?.onUndecodable?("\(room): \(error)") }
                reported = true
            }
        }
        feed.start()
        return Subscription(feed)
    }

    private final class Subscription: RoomFeedSubscription {
        let feed: SubjectFeed
        init(_ feed: SubjectFeed) { self.feed = feed }
        func stop() { feed.stop() }
    }
}
