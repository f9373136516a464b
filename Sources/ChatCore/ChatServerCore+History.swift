// ChatServerCore+History: durable history in the chat core (PROTOCOL.md
// section 11). A room message, or a private message between two `cert`
// users, is staged instead of delivered when a store is set; the server calls
// `commitStaged` once per loop iteration and the store stores the whole batch
// at once; when it completes (at once for SQLite, later for a networked
// store) the messages are delivered and their `OK` replies sent:
// acknowledged means stored, and an id is never shown before it is durable.
// One batch is in flight at a time; messages accepted meanwhile wait for the
// next one, in order. While a session has a staged message, or waits for a
// store call (`awaitsStore`: HISTORY, JOIN with join-history, CERTONLY), its
// later input is held (only further stored messages may go ahead of a
// commit) and replayed afterwards, so its replies keep the order of its
// commands. If the store fails, delivery goes on and the sender is told
// `unstored`. A replayed STARTTLS ends the replay: what was held behind it is
// dropped, never run. A session that ends meanwhile gets no reply (its
// messages are still stored and delivered once). Reading history back is in
// ChatServerCore+HistoryReads.swift. Pure: the store is behind
// `HistoryStore`, and the time comes from the caller.

/// A message accepted this iteration, waiting for the batch commit.
struct StagedMessage {
    var entry: HistoryEntry
    let sender: ChatSession
    /// The reply's verb and target as the sender will see them: `SAY #room`, `MSG #room`, `MSG bob`.
    let verb: String
    let replyTarget: String
}

extension ChatServerCore {
    /// What a handler returns when its reply is sent elsewhere: with the commit, when the
    /// store answers, or already (STARTTLS).
    static let replyAfterCommit = "\u{0}after-commit"
    /// HISTORY returns at most this many messages per request (advertised as `history=N`).
    public static let maximumHistoryLimit = 500
    static let defaultHistoryLimit = 50

    /// True when there is a batch for `commitStaged`.
    public var hasStagedMessages: Bool { !staged.isEmpty }

    /// Whether `command` from `session` would be staged (stored) rather than answered at once.
    func willStage(_ command: Command, from session: ChatSession) -> Bool {
        guard history != nil else { return false }
        switch command {
        case .say: return session.currentRoom != nil
        case .message(let target, _):
            if target.hasPrefix("#") {
                guard let room = rules.roomName(target) else { return false }
                return rooms[room] != nil && session.rooms.contains(room)
            }
            return session.trust == .cert && sessionsByName[NameRules.key(target)]?.first?.trust == .cert
        default: return false
        }
    }

    /// Stages a room message for the commit.
    func stageRoomMessage(_ room: String, _ text: String, from session: ChatSession, verb: String) -> String {
        let entry = HistoryEntry(time: 0, scope: .room(room), sender: session.name, trust: session.trust, text: text)
        staged.append(StagedMessage(entry: entry, sender: session, verb: verb, replyTarget: room))
        session.stagedCount += 1
        return Self.replyAfterCommit
    }

    /// Stages a private message between two certificate users.
    func stagePrivateMessage(to recipient: String, _ text: String, from session: ChatSession) -> String {
        let entry = HistoryEntry(time: 0, scope: .between(session.name, recipient), sender: session.name,
                                 recipient: recipient, trust: session.trust, text: text)
        staged.append(StagedMessage(entry: entry, sender: session, verb: "MSG", replyTarget: recipient))
        session.stagedCount += 1
        return Self.replyAfterCommit
    }

    /// Hands everything staged to the store as one batch (a round), unless a batch is
    /// still in flight. When the store completes (within the call for SQLite), the batch
    /// is delivered, its senders answered and the input they sent meanwhile replayed; a
    /// replay that stages more starts the next round, at most `maximumRounds` in this call
    /// (so one iteration never runs an unbounded number of transactions). Returns true when
    /// messages are still staged and no batch is in flight: the caller must not let the
    /// loop sleep before the next call. (With a batch in flight, its completion wakes the
    /// loop, and the next call commits what was staged meanwhile.)
    /// `nowMilliseconds`: the server's wall clock.
    @discardableResult
    public func commitStaged(nowMilliseconds: Int64, maximumRounds: Int = 4) -> Bool {
        var rounds = 0
        while !staged.isEmpty, !commitInFlight, rounds < maximumRounds, let history {
            rounds += 1
            var batch = staged
            staged.removeAll(keepingCapacity: true)
            for index in batch.indices { batch[index].entry.time = nowMilliseconds }
            commitInFlight = true
            if cluster != nil {
                inFlightRooms = Set(batch.compactMap { if case .room(let room) = $0.entry.scope { room } else { nil } })
            }
            history.append(batch.map(\.entry)) { [self] result in finishCommit(batch, result) }
        }
        return !staged.isEmpty && !commitInFlight
    }

    /// The store completed `batch`: deliver it, answer its senders, replay their held input.
    private func finishCommit(_ batch: [StagedMessage], _ result: Result<[HistoryEntry], HistoryError>) {
        commitInFlight = false
        var ids: [Int64]?
        switch result {
        case .success(let stored) where stored.count == batch.count: ids = stored.map(\.id)
        case .success(let stored):
            historyFailed?(HistoryError(.failed, "the store returned \(stored.count) messages for a batch of \(batch.count)"))
        case .failure(let error):
            historyFailed?(error)
            // Stored all the same (part of a failed batch): the feed brings them back, but they
            // are delivered here now, as unstored ones; the feed must not deliver them again here.
            for id in error.storedIDs.values where cluster != nil { deliveredBeforeTheFeed(id) }
        }
        batchFinished?(ids != nil)
        var senders: [ChatSession] = []
        for index in batch.indices {  // by index: copying each message out would retain its five references
            deliver(batch[index], id: ids?[index])
            let sender = batch[index].sender
            sender.stagedCount -= 1
            if sender.stagedCount == 0 { senders.append(sender) }
        }
        for sender in senders where !sender.isGone && sender.stagedCount == 0 && !sender.awaitsStore {
            replayHeldInput(of: sender)
        }
        if cluster != nil {
            inFlightRooms = []
            drainFeedBacklog()
        }
    }

    /// Runs the input held for `session`, in order. A line that makes it wait again holds
    /// the rest anew (in order); a replayed STARTTLS drops the rest (section 13).
    func replayHeldInput(of session: ChatSession) {
        let held = session.heldInput
        session.heldInput.removeAll()
        for input in held {
            // A replayed STARTTLS was accepted: nothing held behind it may run (section 13).
            guard session.upgrade != .upgrading else { break }
            switch input {
            case .line(let line): receive(line: line, from: session)
            case .rateLimited: refuseRateLimited(session)
            case .flooding: dropFlooding(session)
            case .lineTooLong: lineTooLong(from: session)
            }
        }
    }

    /// Holds `input` of a session that waits for the store. Nothing is held behind an entry
    /// that ends the session (it would never run); the entry that would reach
    /// `maximumHeldInput` becomes `flooding` (the session is closed after the replies it is owed).
    func hold(_ input: ChatSession.HeldInput, for session: ChatSession) {
        switch session.heldInput.last {
        case .flooding, .lineTooLong: return
        default: break
        }
        session.heldInput.append(session.heldInput.count + 1 >= ChatSession.maximumHeldInput ? .flooding : input)
    }

    /// The store answered a call `session` was waiting for (`awaitsStore`): sends the reply
    /// unless the session has ended, then replays what it sent meanwhile.
    func storeAnswered(_ session: ChatSession, reply: () -> Void) {
        session.awaitsStore = false
        guard !session.isGone else { return }
        reply()
        if !session.awaitsStore && session.stagedCount == 0 { replayHeldInput(of: session) }
    }

    /// Commits at once when `session` waits for a commit (before it is ended some other way).
    /// With a batch already in flight nothing more can start: the session then ends without
    /// the OK of what it had staged (its messages are still stored and delivered).
    func commitNow(ifWaiting session: ChatSession) {
        guard session.isWaitingForStore, let wallClock else { return }
        commitStaged(nowMilliseconds: wallClock(), maximumRounds: 1)
    }

    private func deliver(_ message: StagedMessage, id: Int64?) {
        let entry = message.entry, sender = message.sender
        let trust = entry.trust.rawValue
        // The id-bearing line is built only when some session asked for ids.
        let wantID = sessionsWantingIDs > 0 ? id : nil
        var (sent, total): (Int, Int)
        switch entry.scope {
        case .room(let room) where cluster != nil && id != nil:
            // Every node, this one included, delivers it from the room's feed (one order for all).
            expectFromFeed(id!, sender: sender)
            let local = (rooms[room]?.members.count ?? 1) - 1
            let remote = remoteCount(in: room)
            (sent, total) = (local + (cluster!.isConnected ? remote : 0), local + remote)
        case .room(let room):
            let (plain, withID) = roomMessageLines(entry, room: room, id: wantID)
            (sent, total) = fanOut(plain, withID: withID, in: room, except: sender)
            counters.deliveries += sent
            total += remoteCount(in: room)  // not stored: members on other nodes did not get it
            if let id { rooms[room]?.newestID = id }
        case .conversation where sessionsByName[NameRules.key(message.replyTarget)] == nil && cluster != nil:
            let node = directory.user(message.replyTarget)?.node  // nil: left meanwhile
            let handed = node.map { cluster!.privateMessage(to: message.replyTarget, node: $0, from: entry.sender,
                                                            trust: entry.trust, text: entry.text, id: id) } ?? false
            (sent, total) = (handed ? 1 : 0, 1)
        case .conversation:
            let recipients = sessionsByName[NameRules.key(message.replyTarget)] ?? []
            let shared = recipients.count > 1
            let plain = OutboundMessage(words: "PRIV", entry.sender, trust, entry.text, broadcast: shared)
            let withID = wantID.map { OutboundMessage(words: "PRIVID", String($0), entry.sender, trust, entry.text, broadcast: shared) }
            (sent, total) = deliver(plain, withID: withID, to: recipients)
            counters.deliveries += sent
        }
        if case .room = entry.scope { counters.roomMessages += 1 } else { counters.privateMessages += 1 }
        guard !sender.isGone else { return }
        sendStoredReply(message, sent: sent, total: total, id: id)
    }

    /// "OK <verb> <target> sent N/M", with " id=<id>" or " unstored" for a sender that enabled
    /// `history`, built straight into bytes (one per stored message).
    private func sendStoredReply(_ message: StagedMessage, sent: Int, total: Int, id: Int64?) {
        var reply: [UInt8] = []
        reply.reserveCapacity(message.verb.utf8.count + message.replyTarget.utf8.count + 48)
        reply.append(contentsOf: "OK ".utf8)
        reply.appendUTF8(message.verb)
        reply.append(UInt8(ascii: " "))
        reply.appendUTF8(message.replyTarget)
        reply.append(contentsOf: " sent ".utf8)
        reply.appendDecimal(Int64(sent))
        reply.append(UInt8(ascii: "/"))
        reply.appendDecimal(Int64(total))
        if message.sender.wantsMessageIDs {
            if let id {
                reply.append(contentsOf: " id=".utf8)
                reply.appendDecimal(id)
            } else {
                reply.append(contentsOf: " unstored".utf8)
            }
        }
        reply.append(UInt8(ascii: "\n"))
        _ = message.sender.link.send(OutboundMessage(bytes: reply))
    }

    /// A stored room message as every member gets it, and (with `id`) as the members that
    /// enabled `history` get it; both encoded once and shared by all their recipients.
    func roomMessageLines(_ entry: HistoryEntry, room: String, id: Int64?) -> (plain: OutboundMessage, withID: OutboundMessage?) {
        var sender = entry.sender, text = entry.text
        return sender.withUTF8 { sender in
            text.withUTF8 { text in
                (Self.roomLine(room: room, sender: sender[...], trust: entry.trust, text: text[...], id: nil),
                 id.map { Self.roomLine(room: room, sender: sender[...], trust: entry.trust, text: text[...], id: $0) })
            }
        }
    }

    /// "MSG <room> <sender> <trust> <text>", or with `id` "MSGID <id> <room> ...": the one
    /// builder of a room message line, from the sender's and text's UTF-8 bytes (a String's, or
    /// where they lie in a stored batch from the cluster's feed).
    static func roomLine(room: String, sender: Slice<UnsafeBufferPointer<UInt8>>, trust: Trust,
                         text: Slice<UnsafeBufferPointer<UInt8>>, id: Int64?) -> OutboundMessage {
        var line: [UInt8] = []
        line.reserveCapacity(room.utf8.count + sender.count + text.count + (id == nil ? 12 : 34))
        if let id {
            line.append(contentsOf: "MSGID ".utf8)
            line.appendDecimal(id)
        } else {
            line.append(contentsOf: "MSG".utf8)
        }
        line.append(UInt8(ascii: " "))
        line.appendUTF8(room)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: sender)
        line.append(UInt8(ascii: " "))
        line.appendUTF8(trust.rawValue)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: text)
        line.append(UInt8(ascii: "\n"))
        return OutboundMessage(bytes: line, broadcast: true)
    }
}
