// HistoryStore: the one small interface between the chat core and durable
// message history. The core stages the messages accepted in one loop
// iteration and hands them to `append` as one batch; the store commits them
// and reports their ids, and only then does the core deliver them and send
// the `OK` replies (acknowledged means stored). `messages` serves HISTORY,
// history on join and catch-up; `markCertificateOnly` records a CERTONLY.
// These three report through a completion closure, so an implementation may
// answer at once (SQLite in the ChatHistory module, the embedded default,
// calls the completion before it returns) or later (a networked store, e.g.
// JetStream in cluster mode: a request now, the acknowledgement some
// milliseconds later) without touching the core. Such a store must never
// block the loop, must call every completion exactly once, on the event loop
// thread, never from inside a call of another session, and within a bounded
// time (failing with `HistoryError` when its peer does not answer). The core
// keeps at most one `append` in flight and at most one other call per
// session, so pending completions are bounded by the number of sessions.
// Two calls stay synchronous: `certificateOnlyRooms` is read once at start,
// before the loop serves anyone (a networked store fetches it while it is
// being set up, where waiting is allowed), and `pruneStep` is retention of a
// local file, driven by the server; a store with its own limits (a stream's
// maximum age and size) returns 0. This file holds only the interface and
// its value types: no I/O, no policy about what is stored (the core decides:
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
    /// For a failed `append`: the entries that were stored all the same (by their index in the
    /// batch, with their ids). A networked store without transactions can keep part of a batch.
    public var storedIDs: [Int: Int64] = [:]

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

/// Durable history. Called on the event loop thread only; every call is bounded in
/// time and size. A completion is called exactly once, on the loop thread: either
/// before the call returns or later, never blocking the loop meanwhile.
public protocol HistoryStore: AnyObject {
    /// Stores `entries` (ids ignored) as one batch and completes with them, ids set, in
    /// order, once they are durable (committed, or acknowledged by the store's peer). On
    /// failure nothing of the batch counts as stored. The core keeps one batch in flight.
    func append(_ entries: [HistoryEntry], completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void)

    /// Up to `limit` messages of `scope` in `range`, oldest first.
    func messages(in scope: HistoryScope, _ range: HistoryRange, limit: Int,
                  completion: @escaping (Result<[HistoryEntry], HistoryError>) -> Void)

    /// Marks `room` certificate-only, durably: completes once the mark is kept.
    func markCertificateOnly(room: String, completion: @escaping (Result<Void, HistoryError>) -> Void)

    /// Rooms marked certificate-only with CERTONLY. The mark protects the room's stored
    /// messages, so it is kept with them, for good. Synchronous: read once at start,
    /// before the loop serves any client.
    func certificateOnlyRooms() throws(HistoryError) -> Set<String>

    /// One bounded step of local retention: deletes at most `maximumRows` messages (a store
    /// that keeps messages in groups may go past it by one group when a group is larger) that
    /// are older than `olderThan` (ms since the epoch, nil: no age limit) or beyond the
    /// newest `keepPerScope` of their scope (nil: no count limit). Returns how many it
    /// deleted; the caller runs it again later while that is `maximumRows`. Synchronous
    /// and local only; a store whose peer enforces its own limits returns 0.
    func pruneStep(olderThan: Int64?, keepPerScope: Int?, maximumRows: Int) throws(HistoryError) -> Int
}
