// JetStreamRoomFeeds: the RoomFeedSource of a node whose history is in
// JetStream: one SubjectFeed per followed room on the history stream, each
// handing the room's stored messages (located with HistoryEntryCodec's
// decodeRoomBatch: every entry of a message, in order, with its id, its
// fields left in the message's bytes) in stream order, once each,
// from the moment it is created. A message that cannot be decoded, or an
// entry of it no client could have sent, is skipped and reported once per
// feed (it came from a broken peer; the others must still get theirs); the
// message's sequence is handed over all the same. (The chat core checks each
// entry's sender and text when it delivers them.) It does not choose which
// rooms to follow (ClusterNode does).
import ChatCore
import NATSClient

public final class JetStreamRoomFeeds: RoomFeedSource {
    private let store: JetStreamHistoryStore
    /// Told of a message that could not be decoded.
    public var onUndecodable: ((String) -> Void)?

    public init(store: JetStreamHistoryStore) { self.store = store }

    public func follow(room: String, after: UInt64,
                       deliver: @escaping (_ sequence: UInt64, _ batch: StoredRoomBatch) -> Void) -> any RoomFeedSubscription {
        let subjects = store.subjects
        var reported = false
        let feed = SubjectFeed(jetStream: store.jetStream, stream: subjects.historyStream,
                               subject: subjects.historySubject(.room(room)),
                               start: after == 0 ? .newOnly : .after(after)) { [weak self] sequence, message in
            do {
                let decoded = try HistoryEntryCodec.decodeRoomBatch(message.payload, room: room, sequence: sequence)
                if decoded.leftOut > 0 && !reported {
                    self?.onUndecodable?("\(room): stream message \(sequence) holds \(decoded.leftOut) entries a client could not have sent")
                    reported = true
                }
                deliver(sequence, decoded.batch)
            } catch {
                if !reported { self?.onUndecodable?("\(room): \(error)") }
                reported = true
                deliver(sequence, StoredRoomBatch(room: room, bytes: [], entries: []))
            }
        }
        feed.start()
        return Subscription(feed)
    }

    /// Internal so tests can reach the feed (to drop deliveries).
    final class Subscription: RoomFeedSubscription {
        let feed: SubjectFeed
        init(_ feed: SubjectFeed) { self.feed = feed }
        func stop() { feed.stop() }
    }
}
