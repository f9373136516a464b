// PresenceEvent: what one tlschatd node tells the others about its users, on
// the cluster's presence subject (every node hears every event) and on a
// node's own subject (private messages, and the state a node sends to one
// that asked; a large state goes in parts, StateChunks). JSON, one event per NATS message: presence is rare next to
// chat, and a readable form helps whoever debugs a cluster with `nats sub`.
// Decoding refuses events without the fields their kind needs (a peer is
// trusted, but a broken one must not crash us). No rules here: ClusterNode
// decides what an event means.
import ChatCore
import Foundation

struct PresenceEvent: Codable, Equatable {
    enum Kind: String, Codable {
        /// A node is alive (every `heartbeatInterval`); `users` counts its users.
        case heartbeat
        /// A node (re)joined the cluster and asks every other node for its state.
        case hello
        /// A node is stopping: its users leave at once.
        case bye
        /// All users of `node` with their rooms (the answer to `hello`, and after a reconnect).
        case state
        case arrive, leave, join, part, rename
        /// `name` made `room` certificate-only (the mark is stored already).
        case certificateOnly = "certonly"
        /// A private message for `to`, a user of the node whose subject this is.
        case privateMessage = "priv"
    }

    /// One user in a `state` event.
    struct User: Codable, Equatable {
        var name: String
        var trust: String
        var rooms: [String]
        /// When the user's first session on its node began (seconds since the epoch).
        var since: Int64?
    }

    var kind: Kind
    var node: String
    var name: String?
    var trust: String?
    var room: String?
    var reason: String?
    var to: String?
    var text: String?
    var id: Int64?
    var users: [User]?
    var count: Int?
    /// A `state` sent in parts (StateChunks): which state of the node, which part, how many.
    var serial: Int?
    /// `arrive`: when the user's first session began (seconds since the epoch), and the node
    /// the sender knew held the user then.
    var since: Int64?
    var supersedes: String?
    var part: Int?
    var parts: Int?

    init(_ kind: Kind, node: String) {
        self.kind = kind
        self.node = node
    }

    var trustValue: Trust? { trust.flatMap(Trust.init(rawValue:)) }

    func encoded() -> [UInt8] {
        (try? Self.encoder.encode(self)).map { Array($0) } ?? []
    }

    /// The event in `payload`, or nil when it is not one or lacks what its kind needs.
    static func decode(_ payload: [UInt8]) -> PresenceEvent? {
        guard let event = try? decoder.decode(PresenceEvent.self, from: Data(payload)), !event.node.isEmpty else { return nil }
        let complete = switch event.kind {
        case .heartbeat, .hello, .bye: true
        case .state: event.users != nil
        case .arrive, .leave: event.name != nil && event.trustValue != nil
        case .join: event.name != nil && event.room != nil
        case .part: event.name != nil && event.room != nil && event.reason != nil
        case .rename: event.name != nil && event.to != nil
        case .certificateOnly: event.name != nil && event.room != nil
        case .privateMessage: event.name != nil && event.to != nil && event.text != nil && event.trustValue != nil
        }
        return complete ? event : nil
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()
}
