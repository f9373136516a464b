// ChatServerCore+History: durable history in the chat core (PROTOCOL.md
// section 11). A room message, or a private message between two `cert`
// users, is staged instead of delivered when a store is set; the server calls
// `commitStaged` once per loop iteration, the store commits the whole batch
// in one transaction, and only then are the messages delivered and their
// `OK` replies sent: acknowledged means stored, and an id is never shown
// before it is durable. While a session has a staged message, its later
// input waits (only further stored messages go ahead), so its replies keep
// the order of its commands. If the store fails, delivery goes on and the
// sender is told `unstored`. A replayed STARTTLS ends the replay: what was held
// behind it is dropped, never run. Reading history back (HISTORY, join-history) is
// in ChatServerCore+HistoryReads.swift. Pure: the store is behind
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
    /// What a handler returns when its reply comes with the commit.
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

    /// Commits everything staged (one transaction per round), then delivers it, answers
    /// the senders and replays the input they sent meanwhile; a replay that stages more
    /// is committed in the next round, at most `maximumRounds` rounds (so one iteration
    /// never runs an unbounded number of transactions). Returns true when messages are
    /// still staged: the caller must not let the loop sleep before the next call.
    /// `nowMilliseconds`: the server's wall clock.
    @discardableResult
    public func commitStaged(nowMilliseconds: Int64, maximumRounds: Int = 4) -> Bool {
        var rounds = 0
        while !staged.isEmpty, rounds < maximumRounds, let history {
            rounds += 1
            var batch = staged
            staged.removeAll(keepingCapacity: true)
            for index in batch.indices { batch[index].entry.time = nowMilliseconds }
            var ids: [Int64]?
            do {
                ids = try history.append(batch.map(\.entry)).map(\.id)
            } catch {
                historyFailed?(error)
            }
            var senders: [ChatSession] = []
            for (index, message) in batch.enumerated() {
                deliver(message, id: ids?[index])
                message.sender.stagedCount -= 1
                if message.sender.stagedCount == 0 { senders.append(message.sender) }
            }
            for sender in senders where !sender.isGone && sender.stagedCount == 0 {
                let held = sender.heldInput
                sender.heldInput.removeAll()
                for input in held {
                    // A replayed STARTTLS was accepted: nothing held behind it may run (section 13).
                    guard sender.upgrade != .upgrading else { break }
                    switch input {
                    case .line(let line): receive(line: line, from: sender)
                    case .rateLimited: refuseRateLimited(sender)
                    case .flooding: dropFlooding(sender)
                    case .lineTooLong: lineTooLong(from: sender)
                    }
                }
            }
        }
        return !staged.isEmpty
    }

    /// Commits at once when `session` waits for a commit (before it is ended some other way).
    func commitNow(ifWaiting session: ChatSession) {
        guard session.isWaitingForCommit, let wallClock else { return }
        commitStaged(nowMilliseconds: wallClock(), maximumRounds: 1)
    }

    private func deliver(_ message: StagedMessage, id: Int64?) {
        let entry = message.entry, sender = message.sender
        let trust = entry.trust.rawValue
        // The id-bearing line is built only when some session asked for ids.
        let wantID = sessionsWantingIDs > 0 ? id : nil
        let (sent, total): (Int, Int)
        switch entry.scope {
        case .room(let room):
            let plain = OutboundMessage(line: "MSG \(room) \(entry.sender) \(trust) \(entry.text)", broadcast: true)
            let withID = wantID.map { OutboundMessage(line: "MSGID \($0) \(room) \(entry.sender) \(trust) \(entry.text)", broadcast: true) }
            (sent, total) = fanOut(plain, withID: withID, in: room, except: sender)
        case .conversation:
            let recipients = sessionsByName[NameRules.key(message.replyTarget)] ?? []
            let shared = recipients.count > 1
            let plain = OutboundMessage(line: "PRIV \(entry.sender) \(trust) \(entry.text)", broadcast: shared)
            let withID = wantID.map { OutboundMessage(line: "PRIVID \($0) \(entry.sender) \(trust) \(entry.text)", broadcast: shared) }
            (sent, total) = deliver(plain, withID: withID, to: recipients)
        }
        guard !sender.isGone else { return }
        var reply = "OK \(message.verb) \(message.replyTarget) sent \(sent)/\(total)"
        if sender.wantsMessageIDs { reply += id.map { " id=\($0)" } ?? " unstored" }
        sender.send(reply)
    }
}
