// HistoryStore: the one small interface between the chat core and durable
// message history. The core stages the messages accepted in one loop
// iteration and hands them to `append` as one batch; the store commits them
// in one transaction and returns their ids, and only then does the core send
// the `OK` replies (acknowledged means stored). Reads serve HISTORY, history
// on join and catch-up. Implementations: SQLite (ChatHistory module, the
// embedded default); a networked one (JetStream in cluster mode) can follow
// without touching the core. This file holds only the interface and its
// value types: no I/O, no policy about what is stored (the core decides:
// room messages, and private messages between two `cert` users).

/// Where a stored message belongs: a room, or the private conversation of two
/// certificate users (their name keys, in sorted order, so either side finds it).
public enum HistoryScope: Hashable, Sendable {
    case room(String)
    case conversation(String, String)

    /// The conversation between two users, whichever order they are given in.
    public static func between(_ a: String, _ b: String) -> HistoryScope {
        let (x, y) = (NameRules.key(a), NameRules.key(b))
        return x <= y ? .conversation(x, y) : .conversation(y, x)
    }
}

/// One stored message. `id` is 0 until the store assigned one.
public struct HistoryEntry: Equatable, Sendable {
    /// Server-assigned, strictly increasing across all scopes, never reused (also across restarts).
    public var id: Int64
    /// Server time in milliseconds since the Unix epoch (UTC).
    public var time: Int64
    public var scope: HistoryScope
    /// The sender's name as it was shown, and the recipient's for a private message.
    public var sender: String
    public var recipient: String?
    public var trust: Trust
    public var text: String

    public init(id: Int64 = 0, time: Int64, scope: HistoryScope, sender: String, recipient: String? = nil,
                trust: Trust, text: String) {
        self.id = id
        self.time = time
        self.scope = scope
        self.sender = sender
        self.recipient = recipient
        self.trust = trust
        self.text = text
    }
}

/// Which part of a scope's history to read. Results are always oldest first.
public enum HistoryRange: Equatable, Sendable {
    /// The newest `limit` messages.
    case latest
    /// The newest `limit` messages with an id below this one (paging back).
    case before(Int64)
    /// The oldest `limit` messages with an id above this one (catch-up).
    case after(Int64)
}

/// Why the store could not do what was asked. `description` is one line for the log.
public struct HistoryError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The disk or the file size limit is full: retry later.
        case full
        /// Another process holds the database.
        case locked
        /// The file is not a database we can read (corrupt, or not SQLite).
        case corrupt
        /// Written by a newer tlschatd (schema version above ours).
        case newerSchema
        /// Anything else (I/O error, permissions, ...).
        case failed
    }
    public let kind: Kind
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// Durable history. Called on the event loop thread only; every call is bounded.
public protocol HistoryStore: AnyObject {
    /// Stores `entries` (ids ignored) in one transaction and returns them with their
    /// ids, in order, once the transaction has committed. On error nothing is stored.
    func append(_ entries: [HistoryEntry]) throws(HistoryError) -> [HistoryEntry]

    /// Up to `limit` messages of `scope` in `range`, oldest first.
    func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int) throws(HistoryError) -> [HistoryEntry]

    /// One bounded step of retention: deletes at most `maximumRows` messages that are
    /// older than `olderThan` (ms since the epoch, nil: no age limit) or beyond the newest
    /// `keepPerScope` of their scope (nil: no count limit). Returns how many it deleted;
    /// the caller runs it again later while that is `maximumRows`.
    func pruneStep(olderThan: Int64?, keepPerScope: Int?, maximumRows: Int) throws(HistoryError) -> Int

    /// Rooms marked certificate-only with CERTONLY. The mark protects the room's stored
    /// messages, so it is kept with them, for good (read once at start).
    func certificateOnlyRooms() throws(HistoryError) -> Set<String>

    /// Marks `room` certificate-only, durably (committed before it returns).
    func markCertificateOnly(room: String) throws(HistoryError)
}
