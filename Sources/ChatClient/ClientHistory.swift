// ClientHistory: the interactive client's side of durable history
// (PROTOCOL.md section 11): which ids it has seen, what it asks the server
// for, and how past messages are told apart from live ones.
//
// When CAP LS lists `history=N`, the session enables `history` (and
// `join-history` when advertised) with a silent CAP REQ. Live MSGID/PRIVID
// lines become ordinary MSG/PRIV events for display; HIST lines become
// faded lines marked "·history·" with the stored time in local time. Per room
// and per private conversation (keyed by the name in lower case) it keeps the
// highest id seen (from MSGID, PRIVID, HIST and our own `OK ... id=N`), the
// lowest id shown (where `/history` pages back from) and a bounded window of
// the ids shown, so that each id is shown once. A HIST line belongs to the
// oldest unanswered command: before `OK JOIN` it is join-history, before `OK
// HISTORY` the answer to that request. After a lost connection each room we
// were in is caught up from the last id seen: `HISTORY ROOM AFTER ID LIMIT
// 500`, again from the last id of the answer while it says `more`; those
// lines are marked "·missed·", join-history for such a room is not shown
// (the catch-up brings the same messages in order), and each room's end is
// summed up in one line (one line in all when nothing was missed). This file sends and prints nothing: it returns lines and
// commands to the session. Pure.

public struct ClientHistory: Sendable {
    /// Messages `/history` asks for by default, and the history shown for the greeting's room.
    public static let defaultLimit = 20
    /// Messages asked for per catch-up request.
    public static let catchUpPage = 500
    /// Ids remembered per room or conversation to show each one once (the newest are kept).
    static let rememberedIDs = 1_000

    /// What one incoming event turned out to be.
    public enum Received: Equatable, Sendable {
        /// A live event, shown as usual (a stored message appears as MSG or PRIV).
        case live(ServerEvent)
        /// A past message, formatted: shown faded, never as an alert.
        case past(String)
        /// Already shown, or fetched again in order by a catch-up: nothing to show.
        case hidden
    }

    private struct Conversation: Sendable {
        /// The highest id seen; nil when not known (0: the server had none when we asked).
        var newest: Int?
        /// The lowest id shown: `/history` pages back from it.
        var oldest: Int?
        /// The ids shown recently.
        var shown: Set<Int> = []
    }

    private struct CatchUp: Sendable {
        /// Every id up to this one was seen; the next request asks AFTER it.
        var cursor: Int
        /// Messages shown by the catch-up so far.
        var count = 0
    }

    /// Shows stored times in local time.
    public var clock: LocalClock
    /// `history=N` in this connection's CAP LS: the most one HISTORY request returns (nil: no history).
    public private(set) var requestLimit: Int?
    private var joinHistoryCount = 0
    private var joinHistoryEnabled = false
    private var conversations: [String: Conversation] = [:]
    private var catchingUp: [String: CatchUp] = [:]
    /// Messages the catch-ups since the last lost connection showed.
    private var caughtUp = 0

    public init(clock: LocalClock = .utc) { self.clock = clock }

    // MARK: Connection

    /// CAP LS was answered (nil: not at all): the silent CAP REQ to send first, and a note to show.
    public mutating func capabilitiesArrived(_ capabilities: ServerCapabilities?) -> (request: String?, note: String?) {
        requestLimit = capabilities?.historyLimit
        joinHistoryCount = capabilities?.joinHistory ?? 0
        joinHistoryEnabled = false
        guard requestLimit != nil else {
            let note = catchingUp.isEmpty ? nil : "this server keeps no history now: messages sent while disconnected cannot be fetched"
            catchingUp = [:]
            return (nil, note)
        }
        return ("CAP REQ history" + (capabilities?.joinHistory != nil ? " join-history" : ""), nil)
    }

    /// The reply to our CAP REQ: lines to show (none when it was accepted).
    public mutating func capabilityReply(_ reply: Reply, to command: SentCommand) -> [String] {
        switch reply {
        case .ok:
            joinHistoryEnabled = ServerLine.words(command.arguments).contains("join-history")
            return []
        case .error(let code, let text):
            return ["the server did not enable message ids (\(code) \(text)): messages may be shown twice after a reconnection"]
        }
    }

    /// The silent HISTORY requests after a greeting (after the commands that restore our rooms):
    /// a catch-up for each of `previousRooms` (nil: a first connection) we had seen ids in, and
    /// the recent history of `greetedRoom` (where the greeting put us) when nothing of it is known.
    public func requestsAfterGreeting(greetedRoom: String?, previousRooms: [String]?) -> [String] {
        guard let limit = requestLimit else { return [] }
        var requests: [String] = []
        for room in previousRooms ?? [] {
            guard let catchUp = catchingUp[Self.key(room)] else { continue }
            requests.append("HISTORY \(room) AFTER \(catchUp.cursor) LIMIT \(min(Self.catchUpPage, limit))")
        }
        if let room = greetedRoom, catchingUp[Self.key(room)] == nil, conversations[Self.key(room)]?.newest == nil,
           previousRooms?.contains(room) ?? true {
            requests.append("HISTORY \(room) LIMIT \(min(Self.defaultLimit, limit))")
        }
        return requests
    }

    /// The connection was lost while in `rooms`: each one whose ids we saw is caught up later.
    public mutating func connectionLost(rooms: [String]) {
        requestLimit = nil
        joinHistoryEnabled = false
        caughtUp = 0
        for room in rooms {
            let key = Self.key(room)
            guard catchingUp[key] == nil, let newest = conversations[key]?.newest else { continue }
            catchingUp[key] = CatchUp(cursor: newest)
        }
    }

    // MARK: Lines from the server

    /// One event; `pending` is the oldest unanswered command (HIST lines belong to it).
    public mutating func received(_ event: ServerEvent, pending: (command: SentCommand, automatic: Bool)?,
                                  ownName: String?) -> Received {
        switch event {
        case .storedMessage(let id, let room, let from, let trust, let text):
            return remember(id, in: room) ? .live(.message(room: room, from: from, trust: trust, text: text)) : .hidden
        case .storedPrivateMessage(let id, let from, let trust, let text):
            return remember(id, in: from) ? .live(.privateMessage(from: from, trust: trust, text: text)) : .hidden
        case .history(let id, let time, let target, let from, let trust, let text):
            let key = Self.key(target)
            var marker = EventFormatter.historyMarker
            if var catchUp = catchingUp[key], let pending {
                if pending.command.verb == "JOIN" { return .hidden }  // the catch-up brings these, in order
                if pending.automatic && Self.isCatchUp(pending.command) {
                    catchUp.cursor = max(catchUp.cursor, id)
                    defer { catchingUp[key] = catchUp }
                    guard remember(id, in: target) else { return .hidden }
                    catchUp.count += 1
                    marker = EventFormatter.missedMarker
                    return .past(EventFormatter.formatPast(target: target, from: from, trust: trust, text: text, ownName: ownName,
                                                           shownTime: clock.show(time), marker: marker))
                }
            }
            guard remember(id, in: target) else { return .hidden }
            return .past(EventFormatter.formatPast(target: target, from: from, trust: trust, text: text, ownName: ownName,
                                                   shownTime: clock.show(time), marker: marker))
        default:
            return .live(event)
        }
    }

    /// A reply to one of our commands (`automatic`: sent by the session on its own). `newlyJoined`:
    /// an `OK JOIN` for a room we were not in. Returns lines to show and silent commands to send.
    public mutating func replied(_ reply: Reply, to command: SentCommand, automatic: Bool,
                                 newlyJoined: Bool = false) -> (lines: [String], requests: [String]) {
        if command.verb == "HISTORY" { return historyReplied(reply, to: command, automatic: automatic) }
        guard case .ok(let verb, let details) = reply, let target = ServerLine.words(details).first else { return ([], []) }
        let words = ServerLine.words(details)
        switch verb {
        case "SAY", "MSG":
            if let word = words.last(where: { $0.hasPrefix("id=") }), let id = ServerLine.messageID(String(word.dropFirst(3))) {
                _ = remember(id, in: target)
            }
            if words.contains("unstored") { return (["(not stored in history: the server could not write it)"], []) }
        case "JOIN":
            // Join-history brought the room's newest messages (their HIST lines came first): none means none exist.
            let key = Self.key(target)
            if newlyJoined, joinHistoryEnabled, joinHistoryCount > 0, catchingUp[key] == nil, conversations[key]?.newest == nil {
                conversations[key, default: Conversation()].newest = 0
            }
        case "PART":
            conversations[Self.key(target)] = nil
            catchingUp[Self.key(target)] = nil
        default:
            break
        }
        return ([], [])
    }

    /// The `HISTORY` line `/history` sends: `limit` messages of `target` older than the oldest shown.
    public func pageRequest(target: String, limit: Int) -> String {
        let before = conversations[Self.key(target)]?.oldest.map { " BEFORE \($0)" } ?? ""
        return "HISTORY \(target)\(before) LIMIT \(min(limit, requestLimit ?? limit))"
    }

    // MARK: Internals

    private mutating func historyReplied(_ reply: Reply, to command: SentCommand, automatic: Bool) -> (lines: [String], requests: [String]) {
        let arguments = ServerLine.words(command.arguments)
        let target = arguments.first ?? "?"
        let key = Self.key(target)
        guard automatic, let catchUp = catchingUp[key], Self.isCatchUp(command) else {
            let ranged = arguments.dropFirst().contains { ["BEFORE", "AFTER"].contains($0.uppercased()) }
            if case .ok = reply, !ranged, conversations[key]?.newest == nil {
                conversations[key, default: Conversation()].newest = 0  // the newest were asked for: there are none
            }
            return ([], [])
        }
        switch reply {
        case .error(let code, let text):
            catchingUp[key] = nil
            return (["\(target): could not fetch the messages missed while disconnected: \(code) \(text)"], [])
        case .ok(_, let details):
            if ServerLine.words(details).dropFirst(2).first == "more" {
                return ([], ["HISTORY \(target) AFTER \(catchUp.cursor) LIMIT \(min(Self.catchUpPage, requestLimit ?? Self.catchUpPage))"])
            }
            catchingUp[key] = nil
            conversations[key, default: Conversation()].newest = max(conversations[key]?.newest ?? 0, catchUp.cursor)
            caughtUp += catchUp.count
            if catchUp.count > 0 {
                let count = catchUp.count == 1 ? "1 message" : "\(catchUp.count) messages"
                return (["\(target): caught up: \(count) missed while disconnected"], [])
            }
            return (catchingUp.isEmpty && caughtUp == 0 ? ["caught up: no messages missed while disconnected"] : [], [])
        }
    }

    /// Records that `id` of `target` is shown; false when it already was.
    private mutating func remember(_ id: Int, in target: String) -> Bool {
        let key = Self.key(target)
        var conversation = conversations[key] ?? Conversation()
        guard conversation.shown.insert(id).inserted else { return false }
        if conversation.shown.count > Self.rememberedIDs, let oldest = conversation.shown.min() {
            conversation.shown.remove(oldest)
        }
        conversation.newest = max(conversation.newest ?? id, id)
        conversation.oldest = min(conversation.oldest ?? id, id)
        conversations[key] = conversation
        return true
    }

    /// A catch-up request: `HISTORY TARGET AFTER ID ...`.
    private static func isCatchUp(_ command: SentCommand) -> Bool {
        command.verb == "HISTORY" && ServerLine.words(command.arguments).contains { $0.uppercased() == "AFTER" }
    }

    /// Rooms and names compare ignoring ASCII case.
    private static func key(_ target: String) -> String { target.lowercased() }
}
