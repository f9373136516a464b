// ChatServerCore: the chat/1 service logic: sessions, names, rooms, and the
// one-reply-per-command rule (PROTOCOL.md). Pure: it never touches sockets or
// clocks. The server layer calls `connect`, `receive(line:from:)`,
// `lineTooLong`, `disconnect` and `shutDown`; the core answers through each
// session's `ChatSessionLink`. Every event is encoded once and shared by all
// its recipients. Command handlers are in ChatServerCore+Commands.swift; room
// membership (and the sessions one certificate user may hold at once) in
// ChatServerCore+Membership.swift.

public final class ChatServerCore {
    /// Changed only through `updateReloadableLimits` (the others shape names and rooms already made).
    public private(set) var limits: ChatLimits
    public let serverName: String
    let rules: NameRules
    public static let defaultRoom = "#lobby"
    /// The room every new session starts in (it always exists), or nil: start in none.
    public let lobby: String?

    var sessions: [Int: ChatSession] = [:]
    /// Every session holding a name (by NameRules.key), oldest first: one, except for
    /// a certificate user with several sessions (`limits.sessionsPerUser`).
    var sessionsByName: [String: [ChatSession]] = [:]
    var rooms: [String: ChatRoom] = [:]
    /// Durable history (nil: none is kept). Set before the first client connects.
    public var history: (any HistoryStore)?
    /// Rooms a member marked with CERTONLY: certificate-only whenever they exist, for the
    /// life of the process, and for good when history is kept (loadCertificateOnlyMarks).
    var markedCertificateOnlyRooms: Set<String> = []
    /// How many past messages a session that enabled `join-history` gets on JOIN.
    public var historyOnJoin = 20
    /// The server's wall clock in milliseconds, for commits the core must make at once
    /// (before a replacement or a shutdown ends sessions with staged messages).
    public var wallClock: (() -> Int64)?
    /// Told of every store failure (the server logs them, rate-limited); chat goes on.
    public var historyFailed: ((HistoryError) -> Void)?
    /// Told what it dropped when another node sent something RemoteInputRules refuses.
    public var refusedRemoteInput: ((String) -> Void)?
    /// Stored messages accepted this loop iteration, committed together by `commitStaged`.
    var staged: [StagedMessage] = []
    /// A batch was handed to the store's `append` and has not completed yet (at most one).
    var commitInFlight = false
    /// Told after each batch whether it was stored (the server logs when storing resumes).
    public var batchFinished: ((_ stored: Bool) -> Void)?
    /// CERTONLY marks the store has not confirmed yet, per room: lower trust is kept out meanwhile.
    var pendingCertificateOnlyMarks: [String: Int] = [:]
    /// Plaintext sessions must send STARTTLS before anything but CAP, PING and BYE, and
    /// join the starting room only once upgraded (tlschatd --plain-require-starttls).
    public var requireStartTLS = false
    /// Sessions that enabled `history` (ids on live messages); 0 keeps fan-out on its plain path.
    var sessionsWantingIDs = 0
    /// Shared per-flush output for room messages (RoomGathering); nil: each member is sent each message.
    public var roomBroadcastMaker: (any RoomBroadcastMaker)?
    /// Tell a `cert` user whose certificate expires within this many days (0: never).
    public var certificateExpiryWarningDays = CertificateExpiryNotice.defaultWarningDays
    /// The other nodes (tlschatd --cluster; nil: a single node). Set before the first client.
    public var cluster: (any ClusterLink)?
    /// Users of the other nodes (ChatServerCore+Cluster).
    let directory = ClusterDirectory()
    /// This node's stored room messages the feed has not brought back yet (id -> sender).
    var ownStoredMessages: [Int64: OwnStoredMessage] = [:]
    /// Their ids in the order stored (oldest first from `ownStoredOrderHead`), for eviction.
    var ownStoredOrder: [Int64] = []
    var ownStoredOrderHead = 0
    /// Feed batches waiting for the batch in flight (one of them may be this node's own),
    /// and how many entries they hold.
    var feedBacklog: [StoredRoomBatch] = []
    var feedBacklogEntries = 0
    /// Ids of messages stored by a batch that failed part-way: delivered here already.
    var deliveredEarly: Set<Int64> = []
    /// The rooms of the batch in flight (cluster mode).
    var inFlightRooms: Set<String> = []
    private var nextSessionID = 1
    private var nextGuestNumber = 1
    /// The next guest name, when a dialect chose it (ChatServerCore+Lookup); nil: a numbered one.
    var chosenGuestName: String?
    /// Commands, messages and deliveries so far, for the server's metrics (plain data).
    public internal(set) var counters = ChatCounters()

    /// `lobby`: a valid room name, or nil for no starting room (large servers: nobody
    /// is announced to everyone on connect).
    public init(limits: ChatLimits = ChatLimits(), serverName: String = "tlschatd", lobby: String? = ChatServerCore.defaultRoom) {
        self.limits = limits
        self.serverName = serverName
        self.lobby = lobby
        rules = NameRules(limits: limits)
        if let lobby { rooms[lobby] = ChatRoom(name: lobby) }
    }

    public var sessionCount: Int { sessions.count }

    /// Takes the limits a running server may change (a reloaded configuration): line length,
    /// command rate, rooms per client, rooms, listed items. Names, room names, sessions per
    /// user and certificate-only rooms stay as they were (they need a restart).
    public func updateReloadableLimits(from new: ChatLimits) {
        limits.maximumLineLength = new.maximumLineLength
        limits.commandBurst = new.commandBurst
        limits.commandsPerSecond = new.commandsPerSecond
        limits.maximumRoomsPerClient = new.maximumRoomsPerClient
        limits.maximumRooms = new.maximumRooms
        limits.maximumListedItems = new.maximumListedItems
    }

    // MARK: Lifecycle

    /// A new client finished connecting (after the TLS handshake). Binds its
    /// name, puts it in the default room and sends the greeting. `now` (seconds since
    /// 1970-01-01 UTC; nil: unknown) decides the certificate expiry notice.
    @discardableResult
    public func connect(link: ChatSessionLink, credentials: ClientCredentials, now: Int64? = nil) -> ChatSession {
        let certificateName = rules.certificateName(credentials.certificateCommonName)
        let trust: Trust = certificateName != nil ? .cert : (credentials.transport == .plain ? .plain : .tls)
        if let certificateName, let holders = sessionsByName[NameRules.key(certificateName)],
           holders.count >= limits.sessionsPerUser, let oldest = holders.first {
            endReplaced(oldest, notice: Self.replacedByLogin)
        }
        let session = ChatSession(id: nextSessionID, name: certificateName ?? freshGuestName(), trust: trust,
                                  credentials: credentials, link: link)
        nextSessionID += 1
        sessions[session.id] = session
        let key = NameRules.key(session.name)
        let sibling = sessionsByName[key]?.first
        sessionsByName[key, default: []].append(session)
        session.arrivedAt = sibling?.arrivedAt ?? now ?? 0
        if let sibling {
            attach(session, alongside: sibling)
        } else if let cluster {
            // A cert user who was on another node is here now: it leaves there (PARTED ... quit).
            let earlier = directory.user(session.name)
            if let earlier { remoteUserLeft(name: earlier.name, node: earlier.node) }
            cluster.userArrived(name: session.name, trust: trust, since: session.arrivedAt, supersedes: earlier?.node)
        }
        session.awaitsUpgradeForLobby = mustUpgradeFirst(session)  // greeted into no room (section 13)
        let greetingRoom = session.awaitsUpgradeForLobby ? nil : lobby
        session.send("HELLO chat/1 \(serverName) \(credentials.transport.rawValue) \(session.name) \(trust.rawValue) \(session.currentRoom ?? greetingRoom ?? "-")")
        sendIdentityNotices(session, certificateName: certificateName, credentials: credentials, now: now)
        if sibling == nil, let lobby, !session.awaitsUpgradeForLobby { _ = enter(lobby, session) }
        return session
    }

    /// One complete line from the client.
    public func receive(line: [UInt8], from session: ChatSession) {
        guard !session.isGone else { return }  // after BYE or replacement: ignore the rest
        guard session.upgrade != .upgrading else { return }  // sent after STARTTLS: never executed
        guard let parsed = CommandParser.parse(line) else { return }
        if session.isWaitingForStore {
            // Only another message that will be stored may go ahead of the commit: any
            // other reply would overtake the staged message's OK. Nothing goes ahead of a
            // pending read or mark (HISTORY, JOIN with join-history, CERTONLY).
            guard !session.awaitsStore, session.heldInput.isEmpty, case .success(let command) = parsed,
                  willStage(command, from: session) else {
                return hold(.line(line), for: session)
            }
        }
        switch parsed {
        case .failure(let error):
            counters.countCommand(nil, result: error.code)
            session.send(error.line)
        case .success(let command):
            switch execute(command, for: session) {
            case .success(ChatServerCore.replyAfterCommit): counters.countCommand(command, result: nil)
            case .success(let details):
                counters.countCommand(command, result: nil)
                session.send(details.isEmpty ? "OK \(command.verb)" : "OK \(command.verb) \(details)")
            case .failure(let error):
                counters.countCommand(command, result: error.code)
                session.send(error.line)
            }
            if command == .bye {
                remove(session, reason: "quit")
                session.link.closeAfterFlush(.bye)
            }
        }
    }

    /// The client sent a line longer than the limit: error reply, then close.
    public func lineTooLong(from session: ChatSession) {
        guard !session.isGone else { return }
        if session.isWaitingForStore { return hold(.lineTooLong, for: session) }  // after the replies it is owed
        counters.countCommand(nil, result: .lineTooLong)
        session.send(CommandError(.lineTooLong, "line longer than \(limits.maximumLineLength) bytes; closing").line)
        remove(session, reason: "quit")
        session.link.closeAfterFlush(.lineTooLong)
    }

    /// The client sent a command faster than its rate allows: this command's
    /// one reply is `ERR RATE_LIMITED` and it is otherwise ignored.
    public func refuseRateLimited(_ session: ChatSession) {
        guard !session.isGone, session.upgrade != .upgrading else { return }
        if session.isWaitingForStore { return hold(.rateLimited, for: session) }
        counters.countCommand(nil, result: .rateLimited)
        session.send(CommandError(.rateLimited, "too many commands; slow down").line)
    }

    /// The client kept flooding after its refusals ran out (see ClientConnection):
    /// tell it why, then close.
    public func dropFlooding(_ session: ChatSession) {
        guard !session.isGone else { return }
        if session.isWaitingForStore { return hold(.flooding, for: session) }  // after the replies it is owed
        session.send("NOTICE flood too many commands over the rate limit; closing")
        remove(session, reason: "quit")
        session.link.closeAfterFlush(.flood)
    }

    /// The client has been silent for the idle timeout: ask it to show it is alive.
    public func pingIdle(_ session: ChatSession, token: String) {
        guard !session.isGone else { return }
        session.send("PING \(token)")
    }

    /// The client stayed silent past its deadline (`why`: `.firstCommandTimeout` or
    /// `.idle`): tell it `explanation`, then close.
    public func dropIdle(_ session: ChatSession, why: SessionEndReason, explanation: String) {
        guard !session.isGone else { return }
        session.send("NOTICE idle \(explanation); closing")
        remove(session, reason: "quit")
        session.link.closeAfterFlush(why)
    }

    /// The connection ended (for any reason). Safe to call more than once.
    public func disconnect(_ session: ChatSession) {
        remove(session, reason: "quit")
    }

    /// Tells everyone the server is going away and closes every session.
    /// No PARTED events: everyone leaves at once (O(N), not O(N²)).
    public func shutDown() {
        if hasStagedMessages, let wallClock { commitStaged(nowMilliseconds: wallClock(), maximumRounds: 1) }
        let notice = OutboundMessage(line: "NOTICE shutdown server is shutting down", broadcast: true)
        let everyone = sessions.values.sorted(by: { $0.id < $1.id })
        for session in everyone { session.isGone = true }
        sessions = [:]
        sessionsByName = [:]
        rooms = [:]
        if let lobby { rooms[lobby] = ChatRoom(name: lobby) }
        for session in everyone {
            _ = session.link.send(notice)
            session.link.closeAfterFlush(.shutdown)
        }
    }

    // MARK: Shared helpers

    /// The notices that follow a greeting (on connect and after STARTTLS): a certificate
    /// whose name is not usable, or a `cert` user's certificate that expires soon.
    func sendIdentityNotices(_ session: ChatSession, certificateName: String?, credentials: ClientCredentials, now: Int64?) {
        if certificateName == nil && credentials.certificateFingerprint != nil {
            session.send("NOTICE identity certificate name not usable as a chat name")
        }
        if certificateName != nil, let notAfter = credentials.certificateNotAfter, let now,
           let notice = CertificateExpiryNotice.line(notAfter: notAfter, now: now, warningDays: certificateExpiryWarningDays) {
            session.send(notice)
        }
    }

    private func freshGuestName() -> String {
        if let chosenGuestName { return chosenGuestName }
        while true {
            let name = "~guest\(nextGuestNumber)" + (cluster.map { "-" + $0.guestSuffix } ?? "")
            nextGuestNumber += 1
            if sessionsByName[NameRules.key(name)] == nil { return name }
        }
    }

    /// Queues one shared message for each recipient; returns (queued, total). `withID`:
    /// the same message with its history id, for recipients that enabled `history`.
    func deliver(_ message: OutboundMessage, withID: OutboundMessage? = nil, to recipients: [ChatSession]) -> (sent: Int, total: Int) {
        var sent = 0
        if let withID, sessionsWantingIDs > 0 {
            for recipient in recipients where recipient.link.send(recipient.wantsMessageIDs ? withID : message) { sent += 1 }
        } else {
            for recipient in recipients where recipient.link.send(message) { sent += 1 }
        }
        return (sent, recipients.count)
    }

    /// Queues a room message for every member but `sender`; returns (queued, total).
    /// `withID` as in `deliver(_:withID:to:)`. Nobody asking for ids keeps the plain
    /// fan-out loop: one shared line, no per-member choice.
    func fanOut(_ message: OutboundMessage, withID: OutboundMessage? = nil, in room: String,
                except sender: ChatSession?) -> (sent: Int, total: Int) {
        guard let chatRoom = rooms[room] else { return (0, 0) }
        return fanOut(message, withID: withID, in: chatRoom, except: sender)
    }

    /// The same for a room already looked up (a batch of one room looks it up once).
    func fanOut(_ message: OutboundMessage, withID: OutboundMessage? = nil, in chatRoom: ChatRoom,
                except sender: ChatSession?) -> (sent: Int, total: Int) {
        if let maker = roomBroadcastMaker {
            let gathering = chatRoom.gathering ?? RoomGathering(maker: maker)
            chatRoom.gathering = gathering
            if gathering.isGathering || gathering.start(members: chatRoom.members, maker: maker) {
                let total = chatRoom.members.count - (sender.map { chatRoom.contains($0) } == true ? 1 : 0)
                return (gathering.append(message, withID: sessionsWantingIDs > 0 ? withID : nil, except: sender), total)
            }
        }
        var sent = 0, total = 0
        if let withID, sessionsWantingIDs > 0 {
            chatRoom.forEachMember(except: sender) { member in
                total += 1
                if member.link.send(member.wantsMessageIDs ? withID : message) { sent += 1 }
            }
        } else {
            chatRoom.forEachMember(except: sender) { member in
                total += 1
                if member.link.send(message) { sent += 1 }
            }
        }
        return (sent, total)
    }
}
