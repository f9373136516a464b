// ChatSession and ChatRoom: the state the core keeps per connected client and
// per room. Plain containers; the rules live in `ChatServerCore`.

public final class ChatSession {
    public let id: Int
    public internal(set) var name: String
    public internal(set) var trust: Trust
    public internal(set) var credentials: ClientCredentials
    let link: ChatSessionLink
    /// Rooms joined, oldest first; the last is the current room.
    var rooms: [String] = []
    /// When the user's first session on this node began (seconds since the epoch; a later
    /// sibling session gets its sibling's), for the cluster's choice between two logins.
    var arrivedAt: Int64 = 0
    var isGone = false
    /// Enabled with CAP REQ (PROTOCOL.md sections 10 and 11): ids on stored messages, history on join.
    var wantsMessageIDs = false
    var wantsJoinHistory = false
    /// Enabled with CAP REQ room-flags: ROOMS and WHO mark certificate-only rooms, and
    /// a room of this session that becomes one is announced with NOTICE cert-only.
    var wantsRoomFlags = false
    /// STARTTLS (ChatServerCore+StartTLS): accepted and not yet finished, and whether this
    /// session is held out of the starting room until it upgrades.
    var upgrade: UpgradeState = .none
    var awaitsUpgradeForLobby = false
    /// Stored messages of this session waiting for the batch commit (their OK comes then).
    var stagedCount = 0
    /// A store call this session's reply waits for (HISTORY, JOIN with join-history,
    /// CERTONLY): at most one at a time, and all later input is held until it completes.
    var awaitsStore = false
    /// Input that arrived behind a staged message or a pending store call: replayed in
    /// order afterwards, so replies keep the order of the commands. Bounded: the command
    /// rate limits how fast it grows, nothing is held after an entry that ends the session,
    /// and at `maximumHeldInput` entries the session is ended as flooding (see `hold`).
    var heldInput: [HeldInput] = []
    public static let maximumHeldInput = 1024

    /// Where a session is with STARTTLS.
    enum UpgradeState {
        case none       // never asked (or not on the plaintext listener)
        case upgrading  // OK STARTTLS sent; no input counts until the TLS handshake is done
        case done       // now TLS
    }

    /// Input held back while an earlier stored message of the session is uncommitted.
    enum HeldInput {
        case line([UInt8])
        case rateLimited
        case flooding
        case lineTooLong
    }

    /// True while replies must wait for the store (a commit or another store call).
    var isWaitingForStore: Bool { stagedCount > 0 || awaitsStore || !heldInput.isEmpty }

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

/// A room's members, kept contiguous because every message walks them all:
/// fan-out iterates an array (no per-message allocation), and a position index
/// by session id makes joining and leaving O(1) (leaving swaps in the last
/// member). Iteration order is not relied upon for output.
final class ChatRoom {
    let name: String
    private(set) var members: [ChatSession] = []
    private var positions: [Int: Int] = [:]
    /// Members that are a further session of a user already counted (see
    /// ChatServerCore+Membership): the room holds `members.count - extraSessions` users.
    var extraSessions = 0
    /// Admits `cert` users only (CERTONLY, or tlschatd --cert-only-room); while it holds,
    /// every member is a `cert` user (see ChatServerCore+CertificateOnlyRooms).
    var certificateOnly = false

    var userCount: Int { members.count - extraSessions }

    /// The id of the newest stored message delivered to the room (0: none yet); a JOIN's
    /// history read compares it with what it read (see ChatServerCore+HistoryReads).
    var newestID: Int64 = 0
    /// This flush's shared output to the members (RoomGathering), once a message used it.
    var gathering: RoomGathering?

    init(name: String) { self.name = name }

    func contains(_ session: ChatSession) -> Bool { positions[session.id] != nil }

    /// Calls `body` for every member except `excluded`. The walk holds its own copy of
    /// the member list (one retain for the whole walk, and joins or leaves during it do
    /// not change it), so each member is lent to `body` without a retain and release of
    /// its own: this is the per-recipient loop of every broadcast.
    func forEachMember(except excluded: ChatSession?, _ body: (ChatSession) -> Void) {
        let walked = members
        walked.withUnsafeBufferPointer { list in
            for index in list.indices {
                Unmanaged.passUnretained(list[index])._withUnsafeGuaranteedRef { member in
                    if member !== excluded { body(member) }
                }
            }
        }
    }

    func add(_ session: ChatSession) {
        guard positions[session.id] == nil else { return }
        gathering?.stop()
        positions[session.id] = members.count
        members.append(session)
    }

    /// Returns false when `session` was not a member.
    @discardableResult
    func remove(_ session: ChatSession) -> Bool {
        guard let position = positions.removeValue(forKey: session.id) else { return false }
        gathering?.stop()
        let last = members.removeLast()
        if position < members.count {
            members[position] = last
            positions[last.id] = position
        }
        return true
    }
}
